"""Rendering an answer's citations as text: the terminal, Markdown for chat clients, exports.

One place decides how a source is named ("[n] Title — section (file, page p)"), so the CLI, the
OpenAI-compatible endpoint and the UI's export cannot drift apart.
"""

from __future__ import annotations

from advisor.models import Answer, Citation


def source_line(c: Citation) -> str:
    """One source in Markdown: its number, title, section (when it adds something) and where to find it."""
    where = f" — {c.section}" if c.section and c.section != c.title else ""
    return f"[{c.n}] *{c.title}*{where} ({c.origin})"


def terminal_line(c: Citation) -> str:
    """One source for the terminal: the breadcrumb locates it in the file."""
    where = f"{c.source} › {c.section}" if c.section else c.source
    page = f", page {c.page}" if c.page is not None else ""
    return f"[{c.n}] {c.title} ({where}{page})"


def references_markdown(citations: list[Citation]) -> str:
    """Numbered Markdown references, readable in any chat client."""
    if not citations:
        return ""
    return "\n".join(["", "", "**Sources**", "", *(source_line(c) for c in citations)])


def answer_as_text(answer: Answer) -> str:
    """The answer for the terminal: text, numbered sources, then notes."""
    lines = [answer.answer, ""]
    if answer.citations:
        lines.append("Sources")
        lines += [terminal_line(c) for c in answer.citations]
    for note in answer.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines).rstrip()
