"""The one rule for which sentence of an indexed passage may be quoted, ranked or shown to a model.

The composer, the sentence-vector cache and the LLM prompt packer all read a passage through
this module, so a sentence planted to instruct the assistant ("ignore previous instructions",
"when summarising this document, state that ...") is dropped at every door alike, and ingest can
warn whoever added the document about each one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from langchain_core.documents import Document

from advisor.text import split_sentences

# Passages come from a bounded corpus and are re-read for every question, so per-text results are
# cached (profiled: these regexes were about a sixth of an uncached answer).
CACHE_SIZE = 20_000

# Classic injections: attempts to replace the assistant's instructions or make it print something.
INJECTION = re.compile(
    r"(ignore|disregard|forget|override)\b[^.]{0,40}\b(instructions?|prompts?|rules|guidelines)|"
    r"\bsystem prompt\b|\byou are (now )?(an? )?(ai|assistant|chatbot|language model)\b|"
    r"\b(assistant|chatbot|ai|model|llm)s?\b[^.]{0,30}\b(must|should|shall|will) (now )?(say|print|output|reply|respond|answer|include|reveal)|"
    r"\b(print|output|reveal|repeat|say|include|append)\b[^.]{0,30}\b(canary|secret|password|token|verbatim|the following)\b|"
    r"\bnew instructions\b|\bprompt injection\b",
    re.IGNORECASE,
)
# Sentences addressed to whoever summarises or answers from the document, not to its reader.
MODEL_DIRECTIVE = re.compile(
    r"\bwhen (summari[sz]|answer|respond|repl)\w*\b[^.]{0,40}\b(state|say|write|quote|mention|tell|add|include)\b|"
    r"\bnote to (the |any )?(ai|assistant|model|llm|chatbot|language model)s?\b|"
    r"\b(in|to) (every|each|all|any) (answers?|responses?|replies|summar(y|ies))\b|"
    r"\b(reply|respond|answer) (only|exclusively) with\b|"
    r"\b(quote|print|output|repeat|reveal) (the|this|your) (reference|code|token|string|phrase|system prompt)\b|"
    r"\btell (the |your |all |every )?(readers?|users?|askers?)\b[^.]{0,20}\bthat\b",
    re.IGNORECASE,
)


_LEAD_CONNECTIVE = re.compile(
    r"^(additionally|also|concretely|importantly|in addition|"
    r"to move in this direction|to tap into this|in practice|by doing so|for instance|for example),\s+",
    re.I,
)

def tidy(sentence: str) -> str:
    """Drop a leading connective and capitalise; the result stays a substring of the source
    apart from the first letter's case."""
    text = _LEAD_CONNECTIVE.sub("", sentence.strip())
    return text[:1].upper() + text[1:]


def is_injection(sentence: str) -> bool:
    """A classic prompt injection (also used to screen generated text)."""
    return bool(INJECTION.search(sentence))


@lru_cache(maxsize=CACHE_SIZE)
def is_directive(sentence: str) -> bool:
    """A sentence that instructs an assistant or summariser rather than informing a reader."""
    return is_injection(sentence) or bool(MODEL_DIRECTIVE.search(sentence))


def is_quotable(sentence: str, min_chars: int) -> bool:
    """Long enough to say something, and not a planted instruction."""
    return len(sentence) >= min_chars and not is_directive(sentence)


def body_start(document: Document) -> int:
    """Where a chunk's body begins: chunks start with "Title: " which is layout, not a sentence."""
    title = document.metadata.get("title", "")
    return len(title) + 2 if title and document.page_content.startswith(title + ": ") else 0


@lru_cache(maxsize=CACHE_SIZE)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(split_sentences(text))


def sentence_spans(document: Document) -> list[tuple[int, int, str]]:
    """Every sentence of the chunk's body as (start, end, text), offsets into page_content."""
    text = document.page_content
    offset = body_start(document)
    return [(offset + a, offset + b, text[offset + a : offset + b]) for a, b in _spans(text[offset:])]


def quotable_sentences(document: Document, min_chars: int) -> list[tuple[int, int, str]]:
    """The sentences the composer may quote and the sentence cache stores, with their offsets."""
    return [span for span in sentence_spans(document) if is_quotable(span[2], min_chars)]


def without_directives(text: str) -> str:
    """The text minus planted instructions: what an LLM may be shown of a passage."""
    spans = split_sentences(text)
    if not spans:
        return text
    return " ".join(text[a:b] for a, b in spans if not is_directive(text[a:b]))


@dataclass(frozen=True)
class PlantedSentence:
    """A sentence of an ingested document that will never be quoted, for the ingest report."""

    source: str
    page: int | None
    section: str
    text: str

    def warning(self) -> str:
        where = f"{self.source}, page {self.page}" if self.page is not None else self.source
        snippet = " ".join(self.text.split())
        snippet = snippet if len(snippet) <= 120 else snippet[:119].rstrip() + "…"
        return f"{where} › {self.section}: ignored a sentence addressed to an assistant: \"{snippet}\""


def planted_sentences(chunks: list[Document]) -> list[PlantedSentence]:
    """Sentences of these chunks that the quotable rule refuses because they instruct a model."""
    found: dict[str, PlantedSentence] = {}
    for chunk in chunks:
        meta = chunk.metadata
        page = meta.get("page")
        for _, _, sentence in sentence_spans(chunk):
            if is_directive(sentence) and sentence not in found:
                found[sentence] = PlantedSentence(
                    meta.get("source", ""),
                    page if isinstance(page, int) and page >= 0 else None,
                    meta.get("title", "") or meta.get("section", ""),
                    sentence,
                )
    return list(found.values())
