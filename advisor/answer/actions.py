"""Which sentences are actions, and for whom: the one rule answers and plans share.

An action tells its addressee to do something: an imperative ("Adopt EU standards as a
baseline"), or a duty or option for a named actor ("Governments should…", "Firms should
consider…", "A business developing AI could join…"). Outcome sentences ("By doing so, businesses
can gain…"), document glue ("Below, we translate…", a lead-in ending on a colon) and what the EU
itself will do are never actions. The addressee comes from the sentence's subject, or, for an
imperative or "you", from the audience of the recommendation the sentence stands in.

The vocabulary (verbs, subjects, glue phrases) is data: knowledge/sentence_roles.yaml. Roles are
decided once, at chunking, and stored on each chunk (metadata `sentence_roles`), so the composer,
the plan builder and the quality check read the same decision.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from langchain_core.documents import Document

from advisor.settings import PROJECT_ROOT
from advisor.yamlfile import load_yaml

ROLES_FILE = PROJECT_ROOT / "knowledge" / "sentence_roles.yaml"
Kind = Literal["action", "outcome", "glue", "description"]


@dataclass(frozen=True)
class Role:
    kind: Kind
    addressee: str  # business | government | general | eu

    def is_action_for(self, audience: str) -> bool:
        """An action the asker's audience can take ("general" askers take anyone's)."""
        if self.kind != "action":
            return False
        return audience == "general" or self.addressee in (audience, "general")


@dataclass(frozen=True)
class Vocabulary:
    imperatives: frozenset[str]
    modals: re.Pattern[str]
    outcome: re.Pattern[str]
    glue: re.Pattern[str]
    lead_in: re.Pattern[str]
    elaboration: re.Pattern[str]
    subjects: dict[str, re.Pattern[str]]
    dependent: re.Pattern[str]


def _alternation(words: list[str]) -> str:
    return "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in words), key=len, reverse=True))


@lru_cache(maxsize=4)
def vocabulary(path: Path = ROLES_FILE) -> Vocabulary:
    raw = load_yaml(path)
    subjects = {
        audience: re.compile(rf"\b(?:{_alternation(words)})\b", re.I) for audience, words in raw["subjects"].items()
    }
    return Vocabulary(
        imperatives=frozenset(w.lower() for w in raw["imperatives"]),
        modals=re.compile(rf"\b(?:{_alternation(raw['modals'])})\s+(?:\w+ly\s+|also\s+)?(?P<verb>[a-z]+)", re.I),
        outcome=re.compile(rf"^\s*(?:{_alternation(raw['outcome_openers'])})\b", re.I),
        glue=re.compile(rf"(?:{_alternation(raw['glue'])})", re.I),
        lead_in=re.compile(
            rf"^\s*(?:(?:{_alternation(raw['lead_ins'])}),?\s+|if (?:[^,(]|\([^)]*\)){{3,160}},\s+)+", re.I
        ),
        elaboration=re.compile(rf"^\s*(?:{_alternation(raw['elaborations'])})\s+(?P<verb>[a-z]+?)(?:ing)\b", re.I),
        subjects=subjects,
        dependent=re.compile("|".join(f"(?:{p})" for p in raw["dependent"]), re.I),
    )


_CLAUSE_BREAK = re.compile(r"\s[–—-]\s|;\s")


def _addressee(before_modal: str, default: str, vocab: Vocabulary) -> str:
    """Whose duty a modal sentence states: the first actor named in the modal's own clause."""
    clause = _CLAUSE_BREAK.split(before_modal)[-1]
    found = [(m.start(), who) for who, pattern in vocab.subjects.items() for m in [pattern.search(clause)] if m]
    return min(found)[1] if found else default


def _stem_is_imperative(stem: str, vocab: Vocabulary) -> bool:
    """'adopt' from 'adopting', 'prioritiz' + 'e' from 'prioritizing'."""
    return stem.lower() in vocab.imperatives or (stem + "e").lower() in vocab.imperatives


def _clause_role(clause: str, audience: str, vocab: Vocabulary) -> Role | None:
    rest = vocab.lead_in.sub("", clause)
    if vocab.outcome.match(rest):
        return Role("outcome", audience)
    first = re.match(r"[A-Za-z]+", rest)
    if first and first.group(0).lower() in vocab.imperatives:
        return Role("action", audience)
    elaboration = vocab.elaboration.match(rest)
    if elaboration and _stem_is_imperative(elaboration.group("verb"), vocab):
        return Role("action", audience)
    modal = vocab.modals.search(rest)
    if modal and modal.group("verb").lower() in vocab.imperatives:
        who = _addressee(rest[: modal.start()], audience, vocab)
        return Role("action", who) if who != "eu" else Role("description", "eu")
    return None


def classify(sentence: str, audience: str, vocab: Vocabulary | None = None) -> Role:
    """The role of one sentence of a passage written for `audience` (business, government, general)."""
    vocab = vocab or vocabulary()
    text = " ".join(sentence.split())
    if text.endswith(":") or vocab.glue.search(text):
        return Role("glue", audience)
    first_clause, *later = _CLAUSE_BREAK.split(text)
    role = _clause_role(first_clause if later else text, audience, vocab)
    if role is not None:
        return role
    for clause in later:  # "... the EU is offering investment – ensure your country is ready ..."
        role = _clause_role(clause, audience, vocab)
        if role is not None and role.kind == "action":
            return role
    return Role("description", audience)


@lru_cache(maxsize=20_000)
def needs_previous(sentence: str) -> bool:
    """A sentence that leans on the one before it ("This might involve adopting…", "…with these
    goals"): quoted alone it reads as a fragment, so answers use it only right after that sentence."""
    vocab = vocabulary()
    return bool(vocab.dependent.search(vocab.lead_in.sub("", " ".join(sentence.split()))))


# "If you develop AI, …", "For instance, if rolling out a digital ID, …": a short opener may precede.
_CONDITION = re.compile(r"^(?:[^,]{0,25},\s+)?if\s+(?P<condition>(?:[^,(]|\([^)]*\)){3,160}),", re.I)


@lru_cache(maxsize=20_000)
def condition(sentence: str) -> str | None:
    """The condition an action opens with ("If you develop AI, follow…"): it is advice only for an
    asker in that situation, so answers check the condition against the question."""
    match = _CONDITION.match(" ".join(sentence.split()))
    return match.group("condition") if match else None


def encode_roles(roles: list[tuple[int, Role]]) -> str:
    """Roles of a chunk's sentences, keyed by start offset, as a metadata string (Chroma takes scalars)."""
    return json.dumps({str(start): [r.kind, r.addressee] for start, r in roles}, separators=(",", ":"))


@lru_cache(maxsize=20_000)
def decode_roles(value: str) -> dict[int, Role]:
    if not value:
        return {}
    return {int(start): Role(kind, who) for start, (kind, who) in json.loads(value).items()}


def sentence_role(chunk: Document, start: int, text: str) -> Role:
    """The stored role of the sentence at `start` in this chunk (classified now if the index predates roles)."""
    stored = decode_roles(str(chunk.metadata.get("sentence_roles", "")))
    return stored.get(start) or classify(text, chunk.metadata.get("audience", "general"))
