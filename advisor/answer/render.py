"""Rendering an answer as text: the terminal, Markdown for chat clients, exports, and the one rule
that keeps document text inert in all of them.

One place decides how a source is named ("[n] Title — section (file, page p)"), so the CLI, the
OpenAI-compatible endpoint and the UI's export cannot drift apart.

Document text is stored as the text it is (a page may well say `<img src=x onerror=...>` or
`[click](javascript:...)` in words). Every answer leaves the pipeline through `safe_answer`
(advisor/answer/pipeline.py, the one place both backends pass through), which makes each text
field Markdown-safe (OWASP LLM02, insecure output handling): `<` becomes `&lt;`, so no element or
handler can start, and a link or image whose destination is not http(s) is reduced to its text.
Clients that render Markdown, or insert the text as HTML, show the characters; nothing runs.
The rule is idempotent, so a cached or re-rendered answer is never escaped twice.
"""

from __future__ import annotations

import re

from advisor.answer.quotable import without_directives
from advisor.models import Answer, Citation

# `](destination "title")`: the destination of an inline link or image, up to its closing parenthesis.
_LINK_DESTINATION = re.compile(r"\]\(\s*(?P<dest>[^\s)]*)(?P<rest>[^)]*)\)")
# `[label]: destination` reference definitions (a link defined apart from where it is used).
_REFERENCE_DEFINITION = re.compile(r"(?m)^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*(?P<dest>\S+).*$")
_WEB = re.compile(r"^https?://", re.IGNORECASE)


def _web_link_only(match: re.Match[str]) -> str:
    return match.group(0) if _WEB.match(match.group("dest")) else "]"


def markdown_safe(text: str) -> str:
    """`text` with no HTML and no link or image that is not http(s); readable as Markdown and as text.

    Images are turned into links (an answer never needs one, and a remote image is a classic way to
    leak a conversation), then links whose destination is not http(s) (javascript:, data:, relative
    or entity-encoded ones alike) lose it and keep their label."""
    if not text:
        return text
    text = text.replace("<", "&lt;").replace("![", "[")
    previous = None
    while previous != text:  # a removed destination can expose another one behind it
        previous = text
        text = _LINK_DESTINATION.sub(_web_link_only, text)
    return _REFERENCE_DEFINITION.sub(lambda m: m.group(0) if _WEB.match(m.group("dest")) else "", text)


def safe_citation(citation: Citation) -> Citation:
    """A citation whose title, section, source and passage text are Markdown-safe, and whose passage
    text leaves out the sentences the quotable rule refuses (a planted payment request is not shown
    as a source either)."""
    return citation.model_copy(
        update={
            "title": markdown_safe(citation.title),
            "section": markdown_safe(citation.section),
            "source": markdown_safe(citation.source),
            "text": markdown_safe(without_directives(citation.text)),
        }
    )


def safe_answer(answer: Answer) -> Answer:
    """The answer with every text field Markdown-safe (in place, and returned for chaining)."""
    answer.answer = markdown_safe(answer.answer)
    answer.citations = [safe_citation(c) for c in answer.citations]
    for item in (*answer.actions, *answer.key_points):
        item.text = markdown_safe(item.text)
    answer.focus_areas = [markdown_safe(a) for a in answer.focus_areas]
    answer.notes = [markdown_safe(n) for n in answer.notes]
    if answer.standalone_question:
        answer.standalone_question = markdown_safe(answer.standalone_question)
    if answer.missing_detail:
        answer.missing_detail = markdown_safe(answer.missing_detail)
    return answer


USER_SOURCE = "your document"
_STRATEGY_LEAD = "the strategy's guidance here comes from"
_STRATEGY_POINTS = "**What the strategy says**"


def label_user_sources(answer: Answer, strategy_collection: str) -> Answer:
    """Never present a user document's sentences as the strategy's (in place, and returned).

    Each action or key point citing an uploaded document is labelled with that document in the
    answer text, and so is each mention of such a source; a lead line naming one no longer calls
    it "the strategy's guidance", and key points that all come from uploads are headed as the
    documents' own (those two rewrites for the English framing; other languages keep their lead).
    Both backends' answers pass here (advisor/answer/pipeline.py); the citations keep their
    `collection` for clients."""
    user = {c.n: c for c in answer.citations if c.collection and c.collection != strategy_collection}
    if not user:
        return answer
    text = answer.answer
    for n, citation in user.items():
        mention = f"*{citation.title}* [{n}]"
        text = text.replace(mention, f"{mention} ({USER_SOURCE} {citation.source})", 1)
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if _STRATEGY_LEAD in line and any(f"[{n}] ({USER_SOURCE}" in line for n in user):
            lines[index] = line.replace(_STRATEGY_LEAD, "the guidance here comes from")
    text = "\n".join(lines)
    for item in (*answer.actions, *answer.key_points):
        sources = list(dict.fromkeys(user[n].source for n in item.citations if n in user))
        at = text.find(item.text) if sources else -1
        if at < 0:
            continue
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        text = text[:end] + f" *({USER_SOURCE}: {', '.join(sources)})*" + text[end:]
    if answer.key_points and all(all(n in user for n in p.citations) for p in answer.key_points):
        text = text.replace(_STRATEGY_POINTS, "**What your documents say**")
    answer.answer = text
    return answer


def terminal_text(text: str) -> str:
    """Markdown-safe text for a terminal, which renders nothing: the characters the document has."""
    return text.replace("&lt;", "<")


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
    return "\n".join(["", "", "**Sources**", "", *(source_line(safe_citation(c)) for c in citations)])


def answer_as_text(answer: Answer) -> str:
    """The answer for the terminal: text, numbered sources, then notes."""
    lines = [answer.answer, ""]
    if answer.citations:
        lines.append("Sources")
        lines += [terminal_line(c) for c in answer.citations]
    for note in answer.notes:
        lines.append(f"note: {note}")
    return terminal_text("\n".join(lines).rstrip())
