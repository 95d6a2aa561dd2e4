"""Plain-text rendering of an answer for the terminal."""

from __future__ import annotations

from advisor.models import Answer


def answer_as_text(answer: Answer) -> str:
    lines = [answer.answer, ""]
    if answer.citations:
        lines.append("Sources")
        for c in answer.citations:
            where = f"{c.source} › {c.section}" if c.section else c.source
            page = f", page {c.page}" if c.page is not None else ""
            lines.append(f"[{c.n}] {c.title} ({where}{page})")
    for note in answer.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines).rstrip()
