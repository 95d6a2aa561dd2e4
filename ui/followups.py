"""Suggested follow-up questions: the cited recommendations' neighbours in the taxonomy.

Two recommendations are neighbours when they serve a common objective or focus area
(knowledge/taxonomy.yaml). The suggestions are recommendations the answer did not cite, for the
answer's audience first, most shared areas first, each turned into a question from its own title
("Strengthen Cybersecurity Practices and Partnerships" -> "How should businesses strengthen
cybersecurity practices and partnerships?"), so the next question retrieves that very section.
"""

from __future__ import annotations

from advisor.models import Answer
from advisor.taxonomy import Recommendation, Taxonomy

ASKERS = {"business": "businesses", "government": "governments"}


def sentence_case(title: str) -> str:
    """Title Case words in lower case; acronyms and names with inner capitals (EU, AI, 5G/6G) kept."""
    return " ".join(w.lower() if w[:1].isupper() and w[1:].islower() else w for w in title.split(" "))


def as_question(rec: Recommendation) -> str:
    """The recommendation's imperative title as a question for its audience."""
    return f"How should {ASKERS.get(rec.audience, 'we')} {sentence_case(rec.title)}?"


def suggest_followups(answer: Answer, taxonomy: Taxonomy, limit: int) -> list[str]:
    """Up to `limit` questions about recommendations near the ones this answer cites."""
    by_id = {r.id: r for r in taxonomy.recommendations}
    cited_ids = {c.section_id for c in answer.citations}
    cited_recs = [by_id[i] for i in cited_ids if i in by_id]
    areas = {a for r in cited_recs for a in r.serves} | {i for i in cited_ids if taxonomy.area(i) is not None}
    if not areas or not answer.in_scope:
        return []
    candidates = [r for r in taxonomy.recommendations if r.id not in cited_ids and areas & set(r.serves)]
    audience = answer.audience if answer.audience in ASKERS else None

    def rank(rec: Recommendation) -> tuple[bool, int, int]:
        order = taxonomy.recommendations.index(rec)
        return (audience is not None and rec.audience != audience, -len(areas & set(rec.serves)), order)

    return [as_question(r) for r in sorted(candidates, key=rank)[:limit]]
