"""Structure-aware chunking of Markdown: one chunk per section, split by tokens only when long.

Each objective, focus area and recommendation of the strategy is a heading in the knowledge
document, so each becomes exactly one chunk whose title is that heading. A chunk's text is
"Title: body", the way the original summary writes its bullets, so what we embed, search and
quote is the source's own wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from advisor.answer.actions import classify, encode_roles
from advisor.answer.quotable import sentence_spans
from advisor.taxonomy import Taxonomy
from advisor.text import content_hash, slugify

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
SECTION_SEPARATOR = " > "


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]
    title: str
    body: str
    start: int  # offset of body in the source text
    end: int
    page: int | None = None  # 1-based page of a paginated source (PDF), else None


def parse_sections(text: str) -> tuple[str | None, list[Section]]:
    """Split Markdown into heading-delimited sections; return the H1 title and the sections."""
    headings = list(_HEADING.finditer(text))
    doc_title = None
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    bounds = [(m.start(), m.end(), len(m.group(1)), m.group(2).strip()) for m in headings]
    first = bounds[0][0] if bounds else len(text)
    preamble = _strip_span(text, 0, first)
    if preamble:
        sections.append(Section((), "", text[preamble[0] : preamble[1]], *preamble))
    for i, (_, h_end, level, title) in enumerate(bounds):
        next_start = bounds[i + 1][0] if i + 1 < len(bounds) else len(text)
        if level == 1 and doc_title is None:
            doc_title = title
            stack = []
        else:
            stack = [(lvl, t) for lvl, t in stack if lvl < level]
            stack.append((level, title))
        span = _strip_span(text, h_end, next_start)
        if span is None or level == 1:
            if span is not None:
                sections.append(Section((), "", text[span[0] : span[1]], *span))
            continue
        body = text[span[0] : span[1]]
        if set(body.strip()) <= set("-*_ "):
            continue
        sections.append(Section(tuple(t for _, t in stack), title, body, *span))
    return doc_title, sections


def _strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    segment = text[start:end]
    stripped = segment.strip()
    if not stripped or set(stripped) <= set("-*_ "):
        return None
    lead = len(segment) - len(segment.lstrip())
    return start + lead, start + lead + len(stripped)


@lru_cache(maxsize=4)
def _splitter(encoding: str, max_tokens: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=encoding, chunk_size=max_tokens, chunk_overlap=overlap
    )


def split_to_budget(text: str, budget: int, overlap: int, encoding: str) -> list[str]:
    """Token-budgeted pieces. The splitter counts tokens per piece before joining them, so a
    joined chunk can come out a token or two over; such chunks are split again, smaller."""
    parts: list[str] = []
    for part in _splitter(encoding, budget, min(overlap, budget // 4)).split_text(text):
        if count_tokens(part, encoding) <= budget:
            parts.append(part)
        else:
            parts.extend(split_to_budget(part, max(8, int(budget * 0.9)), overlap, encoding))
    return parts


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    import tiktoken

    return len(tiktoken.get_encoding(encoding).encode(text))


def _audience(path: tuple[str, ...]) -> str:
    joined = " ".join(path).lower()
    if "recommendations for businesses" in joined:
        return "business"
    if "recommendations for governments" in joined:
        return "government"
    return "general"


def chunk_markdown(text: str, source: str, taxonomy: Taxonomy, **options: Any) -> list[Document]:
    """Chunks with the metadata the retriever, composer and citations rely on; `options` are
    those of `chunk_sections`."""
    doc_title, sections = parse_sections(text)
    return chunk_sections(doc_title, sections, source, taxonomy, **options)


def chunk_sections(
    doc_title: str | None,
    sections: list[Section],
    source: str,
    taxonomy: Taxonomy,
    *,
    max_tokens: int = 480,
    overlap_tokens: int = 40,
    encoding: str = "cl100k_base",
    doc_id: str | None = None,
    collection: str = "strategy",
) -> list[Document]:
    """Chunk sections that a loader already found (PDF, DOCX, HTML) the same way as Markdown.

    A section with a page number gets it in its metadata, so a citation can name the page.
    """
    doc_id = doc_id or slugify(Path(source).stem)
    chunks: list[Document] = []
    parents = {s.path[:-1] for s in sections if len(s.path) > 1}
    for section in sections:
        if section.title and taxonomy.section_id(section.title) in taxonomy.unindexed:
            continue
        item = taxonomy.by_title(section.title) if section.title else None
        section_id = (taxonomy.section_id(section.title) if section.title else None) or slugify(
            section.title or ("preamble" if section.page is None else f"page-{section.page}")
        )
        if item is None:
            kind = "overview" if section.path in parents else "section"
        elif hasattr(item, "audience"):
            kind = "recommendation"
        else:
            kind = item.kind
        focus = list(getattr(item, "serves", ())) if kind == "recommendation" else ([item.id] if item else [])
        audience = getattr(item, "audience", None) or _audience(section.path)
        prefix = f"{section.title}: " if section.title else ""
        parts = [section.body]
        if count_tokens(prefix + section.body, encoding) > max_tokens:
            budget = max(16, max_tokens - count_tokens(prefix, encoding))
            parts = split_to_budget(section.body, budget, overlap_tokens, encoding)
        cursor = 0
        for index, part in enumerate(parts):
            offset = section.body.find(part, cursor)
            offset = offset if offset >= 0 else cursor
            cursor = offset + max(1, len(part) // 2)
            content = prefix + part
            chunk_id = f"{doc_id}::{section_id}" + (f"::{index}" if len(parts) > 1 else "")
            metadata = {
                "chunk_id": chunk_id,
                "doc_id": doc_id,
                "doc_title": doc_title or Path(source).stem,
                "source": source,
                "collection": collection,
                "section": SECTION_SEPARATOR.join(section.path) or (doc_title or ""),
                "section_id": section_id,
                "title": section.title or doc_title or Path(source).stem,
                "kind": kind,
                "audience": audience,
                "focus_areas": ",".join(focus),
                "start": section.start + offset,
                "end": section.start + offset + len(part),
                "part": index,
                "parts": len(parts),
            }
            if section.page is not None:
                metadata["page"] = section.page
            metadata["sentence_roles"] = sentence_roles(Document(page_content=content, metadata=metadata))
            metadata["content_hash"] = content_hash(content, repr(sorted(metadata.items())))
            chunks.append(Document(id=chunk_id, page_content=content, metadata=metadata))
    _dedupe_ids(chunks)
    return chunks


def sentence_roles(chunk: Document) -> str:
    """Every sentence's role (action / outcome / glue / description, and whose), decided once here."""
    audience = chunk.metadata.get("audience", "general")
    return encode_roles([(start, classify(text, audience)) for start, _, text in sentence_spans(chunk)])


def _dedupe_ids(chunks: list[Document]) -> None:
    """Two sections with the same heading would share an id and overwrite each other."""
    seen: dict[str, int] = {}
    for chunk in chunks:
        cid = chunk.metadata["chunk_id"]
        if cid in seen:
            seen[cid] += 1
            cid = f"{cid}-{seen[cid]}"
            chunk.metadata["chunk_id"] = cid
            chunk.id = cid
        else:
            seen[cid] = 0
