"""The one rule for which sentence of an indexed passage may be quoted, ranked or shown to a model.

The composer, the sentence-vector cache and the LLM prompt packer all read a passage through
this module, so a planted sentence is dropped at every door alike, and ingest can warn whoever
added the document about each one. Three kinds are never quoted:
- sentences that instruct an assistant ("ignore previous instructions", "when summarising this
  document, state that ...");
- sentences that address the reader as instructions from the system ("SYSTEM: ...", "tell every
  user that ...");
- sentences that ask for a payment or for bank or card details ("wire the 500 EUR registration
  fee to IBAN DE89 ..."): a strategy summary never does, and an uploaded one that does is fraud
  that would otherwise come back as "Action 1" under the strategy's name.
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


# Sentences speaking to the reader as the system would: a role label, or orders about what to tell people.
READER_INSTRUCTION = re.compile(
    r"^\W*(system|assistant|admin(istrator)?|developer|moderator)( (message|note|notice|prompt|instruction)s?)?\s*:|"
    r"\b(tell|inform|instruct|remind|notify)\s+(the |your |all |every |each |any )?(readers?|users?|askers?|"
    r"visitors?|customers?|clients?|smes?|companies|businesses|applicants?|participants?|people|everyone)\b"
    r"[^.]{0,40}\b(that|to)\b",
    re.IGNORECASE,
)
# Requests for money or for payment credentials. "Payment systems" and "knowledge transfer", as the
# strategy uses them, do not match: money must be sent somewhere, or details asked for.
PAYMENT_REQUEST = re.compile(
    r"\bIBAN\b|\bSWIFT\b|\bBIC code\b|\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b|"
    r"\b(wire|remit|transfer|send|pay|deposit)\b[^.]{0,50}\b(fees?|payments?|deposits?|money|funds|sums?|amounts?|"
    r"eur|euros?|usd|dollars?|bitcoins?|crypto\w*)\b(?=[^.]{0,60}\b(to|into|via|at|before|within|by)\b)|"
    r"\b(bank|account|card|credit card|debit card|payment)\s+(details|numbers?|information|credentials)\b|"
    r"\b(cvv|cvc|card security code|sort code|routing number)\b|"
    r"\b(bitcoin|crypto(currency)?|usdt)\s+(wallet|address)\b|\bgift cards?\b|"
    r"\b(send|share|enter|confirm|provide|give)\b[^.]{0,30}\b(password|login|credentials|pin)\b",
    re.IGNORECASE,
)
TO_ASSISTANT = "addressed to an assistant"
TO_READER = "addressed to its readers as an instruction"
ASKS_FOR_PAYMENT = "asking for a payment or bank or card details"

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
def refusal_reason(sentence: str) -> str | None:
    """Why this sentence may never be quoted or shown to a model (one of the kinds above), or None."""
    if is_injection(sentence) or MODEL_DIRECTIVE.search(sentence):
        return TO_ASSISTANT
    if READER_INSTRUCTION.search(sentence):
        return TO_READER
    if PAYMENT_REQUEST.search(sentence):
        return ASKS_FOR_PAYMENT
    return None


def is_directive(sentence: str) -> bool:
    """A sentence that instructs an assistant or summariser rather than informing a reader (also
    used to screen generated text and questions: "how do we pay the fee to the desk?" is a fair
    question, so the reader and payment kinds are not part of this)."""
    return refusal_reason(sentence) == TO_ASSISTANT


def is_refused(sentence: str) -> bool:
    """Never quoted or shown to a model: any of the three kinds above."""
    return refusal_reason(sentence) is not None


def is_quotable(sentence: str, min_chars: int) -> bool:
    """Long enough to say something, and not a planted sentence of any kind."""
    return len(sentence) >= min_chars and not is_refused(sentence)


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
    """The text minus planted sentences of every kind: what an LLM may be shown of a passage."""
    spans = split_sentences(text)
    if not spans:
        return text
    return " ".join(text[a:b] for a, b in spans if not is_refused(text[a:b]))


@dataclass(frozen=True)
class PlantedSentence:
    """A sentence of an ingested document that will never be quoted, for the ingest report."""

    source: str
    page: int | None
    section: str
    text: str
    reason: str = TO_ASSISTANT

    def warning(self) -> str:
        where = f"{self.source}, page {self.page}" if self.page is not None else self.source
        snippet = " ".join(self.text.split())
        snippet = snippet if len(snippet) <= 120 else snippet[:119].rstrip() + "…"
        return f"{where} › {self.section}: ignored a sentence {self.reason}: \"{snippet}\""


def planted_sentences(chunks: list[Document]) -> list[PlantedSentence]:
    """Sentences of these chunks that the quotable rule refuses, each with the reason."""
    found: dict[str, PlantedSentence] = {}
    for chunk in chunks:
        meta = chunk.metadata
        page = meta.get("page")
        for _, _, sentence in sentence_spans(chunk):
            reason = refusal_reason(sentence)
            if reason is not None and sentence not in found:
                found[sentence] = PlantedSentence(
                    meta.get("source", ""),
                    page if isinstance(page, int) and page >= 0 else None,
                    meta.get("title", "") or meta.get("section", ""),
                    sentence,
                    reason,
                )
    return list(found.values())
