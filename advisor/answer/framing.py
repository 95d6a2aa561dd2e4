"""The words around the quotes: lead line, headings, notes and marks, in the asker's language.

Quoted sentences are never translated (they are the evidence); everything this module writes comes
from knowledge/languages.yaml, so an answer to a French question reads in French around verbatim
English quotes, and says so once.
"""

from __future__ import annotations

from advisor.models import Citation
from advisor.query.language import Language


def marks(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def heading(text: str) -> str:
    return f"**{text}**"


def lead_line(lang: Language, audience: str, citations: list[Citation]) -> str:
    named = [f"*{c.title}* [{c.n}]" for c in citations[:2] if c.title]
    sources = f" {lang.strings['and']} ".join(named) if named else lang.strings["cited_passages"]
    return lang.text("lead", audience=lang.audiences[audience], sources=sources)


def focus_line(lang: Language, areas: list[str]) -> str:
    return f"{heading(lang.strings['focus'] + ':')} " + " · ".join(areas) if areas else ""


def preamble(
    lang: Language,
    *,
    understood_as: str | None,
    answered_for: str | None,
    missing: list[str],
    missing_reference: bool = False,
    asserted: bool = False,
    contradicted: list[str] | None = None,
    inferred_for: str | None = None,
) -> list[str]:
    """Lines that come before the answer proper: how a follow-up was read, whom it answers (`inferred_for`:
    whom the audience model read as asking),
    and what the documents do not give. Each is one plain sentence. A claim the asker was told
    (`asserted`) is answered as a claim: not confirmed, and, when the documents state another date
    or institution, with that sentence quoted (`contradicted`: "“…” [n]") right there."""
    lines = []
    if missing_reference:
        lines.append(lang.text("no_such_item"))
    if understood_as:
        lines.append(f"_{lang.text('understood_as', question=understood_as)}_")
    if answered_for:
        lines.append(lang.text("answered_for", audience=lang.audiences[answered_for]))
    if inferred_for:  # a model's reading of who asks is said, so a wrong one is seen and overruled
        lines.append(lang.text("inferred_for", audience=lang.audiences[inferred_for]))
    if missing:
        labels = [lang.details.get(kind, kind) for kind in dict.fromkeys(missing)]
        detail = f" {lang.strings['and']} ".join(labels) if lang.code != "en" else _english_list(labels)
        lines.append(lang.text("missing_asserted" if asserted else "missing", detail=detail))
    if contradicted:
        lines.append(lang.text("not_confirmed", quote=" ".join(contradicted)))
    return lines


def _english_list(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def quotes_note(lang: Language) -> list[str]:
    note = lang.strings.get("quotes_note", "")
    return [f"_{note}_"] if note else []
