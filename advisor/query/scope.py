"""Is a question about the knowledge base at all? Signals the composer uses to decline.

Dense similarity alone cannot tell "EU crypto-asset rules" from "EU digital rules": both are
close to the strategy's wording. What differs is the topic vocabulary: an off-topic question's
topical words (stablecoins, lunar, VAT, farm subsidies) never occur in the indexed documents,
while a paraphrased in-scope question's mostly do. Words that carry no topic in a question
("how", "get", "explain", "want") are ignored, so they cannot make a question look off-topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from advisor.settings import Settings
from advisor.text import terms

# Question words that say how someone asks, not what about; stemmed like `terms` does.
GENERIC_TERMS = frozenset(
    terms(
        """get got gett want wants wanted need needs say says said tell told explain explains mention
        mentions mentioned recommend recommends suggest suggests advise advice ask asks talk talks
        see seen put run runs running set setting way ways kind kinds thing things something much
        many lot lots main first second third next instead specifically exactly still really just
        sure make makes made take takes give gives go going know knows like please help helps
        bother care according depend depends prepare teach teaching course courses workshop
        coach train trainer training learn learners expect expects we're i'm it's let whether
        outside inside small big good best right new old current currently today nutshell overview
        brief briefly short summary detail details more less deadline deadlines date dates timeline
        budget budgets percentage percent amount amounts total number numbers cost costs per euro euros
        application applications exact precise plan plans planned planning"""
    )
)
_SELF_REFERENCE = re.compile(
    r"\b(the|this|eu'?s?|international digital|digital) strateg(y|ies)\b|\bthe (document|summary)\b", re.I
)


# Words of the strategy's own name: they say which document, not which part of it.
NAME_TERMS = frozenset(terms("eu european union international digital strategy strategies"))
# Query words the documents express differently; added to the lexical query and the scope check.
SYNONYMS: dict[str, str] = {
    **dict.fromkeys(terms("presented launched published released announced introduced"), "unveiled"),
    **dict.fromkeys(terms("kids minors"), "children"),
    **dict.fromkeys(terms("money funds financing"), "funding investment"),
    # Who is asking: the documents address "businesses" and "governments" by those words.
    **dict.fromkeys(terms("sme smes msme msmes entrepreneur entrepreneurs enterprise enterprises"), "businesses"),
    **dict.fromkeys(terms("ministry ministries administration administrations officials servant servants"), "governments"),
}


def expand(question: str) -> str:
    """The question plus the documents' words for what it asks (for lexical matching only)."""
    extra = [SYNONYMS[t] for t in dict.fromkeys(terms(question)) if t in SYNONYMS]
    return " ".join([question, *extra])


@dataclass(frozen=True)
class ScopeSignal:
    topic_terms: list[str] = field(default_factory=list)
    unknown_terms: list[str] = field(default_factory=list)
    self_reference: bool = False  # the question names the strategy itself
    about_whole: bool = False  # ...and asks about it as a whole (when, who, what is it about)

    @property
    def unknown_fraction(self) -> float:
        return len(self.unknown_terms) / len(self.topic_terms) if self.topic_terms else 0.0


def topic_terms(question: str) -> list[str]:
    """Content terms of the question minus generic question words; hyphenated words split."""
    out: list[str] = []
    for term in terms(question.replace("-", " ")):
        if term not in GENERIC_TERMS and not term.isdigit():
            out.append(term)
    return list(dict.fromkeys(out))


def _known(term: str, vocabulary: set[str]) -> bool:
    """In the vocabulary, allowing for what the light stemmer misses ("acting" / "act")."""
    if term in vocabulary or term + "e" in vocabulary:  # "regulating" -> "regulat" / "regulate"
        return True
    for suffix in ("ing", "ed", "es", "s", "e", "ly"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 3 and term[: -len(suffix)] in vocabulary:
            return True
    return False


def names_strategy(question: str) -> bool:
    """The question names the strategy or the document itself."""
    return bool(_SELF_REFERENCE.search(question))


def about_whole(self_reference: bool, topic: list[str]) -> bool:
    """Names the strategy and asks about it as a whole (when, who, what is it about)."""
    return self_reference and len([t for t in topic if t not in NAME_TERMS]) <= 1


def scope_signal(topic: tuple[str, ...] | list[str], self_reference: bool, vocabulary: set[str]) -> ScopeSignal:
    """Which of the question's topic terms (synonyms included) the indexed documents never use."""
    wanted = list(topic)
    unknown = [t for t in wanted if not _known(t, vocabulary) and not _known(SYNONYMS.get(t, "").split(" ")[0], vocabulary)]
    return ScopeSignal(wanted, unknown, self_reference, about_whole(self_reference, wanted))


def in_scope(best_similarity: float, scope: ScopeSignal | None, settings: Settings) -> bool:
    """The one scope decision: similar enough to some passage, and not about a topic the documents
    never name. Both backends decline exactly what this declines."""
    threshold = settings.min_scope_similarity
    if scope is not None and scope.self_reference:
        threshold = settings.min_scope_similarity_self_reference
    elif scope is not None and scope.topic_terms and not scope.unknown_terms:
        threshold = settings.min_scope_similarity_known_topic
    if best_similarity < threshold:
        return False
    if scope is None or best_similarity >= settings.strong_scope_similarity:
        return True
    return scope.unknown_fraction < settings.max_unknown_topic_fraction
