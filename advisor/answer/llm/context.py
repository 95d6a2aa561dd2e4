"""Pack retrieved passages into the prompt as numbered blocks, within a token budget.

The model can only cite what it is shown, and the validator only accepts citations of what was
shown, so the packing decides both: each passage kept gets the number [n] used in the prompt,
in the answer and in the citations list. Budgets are counted with tiktoken (offline encodings
are installed by `advisor.offline.install_tiktoken_encodings`) because characters are a poor
proxy for what a context window holds. A passage is shown minus the sentences the one quotable
rule refuses (advisor.answer.quotable), so a sentence planted to instruct the assistant never
reaches the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import tiktoken

from advisor.answer.quotable import without_directives
from advisor.retrieval.passage import Passage
from advisor.taxonomy import SECTION_SEPARATOR


@dataclass(frozen=True)
class PackedPassage:
    n: int
    passage: Passage
    text: str  # what the model saw: the passage minus planted instructions, maybe truncated
    tokens: int


@dataclass(frozen=True)
class PackedContext:
    passages: list[PackedPassage]
    tokens: int
    dropped: int  # passages left out for lack of budget

    def by_number(self) -> dict[int, PackedPassage]:
        return {p.n: p for p in self.passages}

    def prompt_block(self) -> str:
        return "\n\n".join(block(p) for p in self.passages)


def block(packed: PackedPassage) -> str:
    meta = packed.passage.metadata
    title, section = meta.get("title", ""), meta.get("section", "")
    # the section is often a breadcrumb ending in the title: do not spend tokens on it twice
    where = section if title and title in section else " › ".join(x for x in (title, section) if x)
    header = f"[{packed.n}] {where}".rstrip()
    return f"{header}\n{packed.text}"


def with_items(passage: Passage, text: str, passages: list[Passage]) -> str:
    """A passage that introduces a list ("Strategic Objectives: … centers on three primary
    objectives:") shown with the titles of the items it introduces, which are its content even
    though each item is a passage of its own: a model citing it for "the six focus areas" cites
    what the prompt showed under its number, and so does the citation the user opens."""
    section = str(passage.metadata.get("section", ""))
    if not section or not text.rstrip().endswith(":"):
        return text
    prefix = f"{section}{SECTION_SEPARATOR}"
    titles = [
        str(p.metadata.get("title", "")) for p in passages
        if str(p.metadata.get("section", "")).startswith(prefix)
        and SECTION_SEPARATOR not in str(p.metadata.get("section", ""))[len(prefix):]
        and p.metadata.get("doc_id") == passage.metadata.get("doc_id")
    ]
    titles = list(dict.fromkeys(t for t in titles if t))
    return text.rstrip() + "".join(f"\n- {t}" for t in titles) if titles else text


def pack_passages(
    passages: list[Passage], budget_tokens: int, encoding_name: str, optional: list[Passage] | None = None
) -> PackedContext:
    """Passages in rank order while they fit; the first is truncated rather than dropped, so a
    small budget still yields an answerable prompt. Later passages that do not fit are skipped
    (a shorter one after them may still fit). `optional` passages follow while budget remains;
    one left out is not counted as dropped."""
    encoding = tiktoken.get_encoding(encoding_name)
    packed: list[PackedPassage] = []
    used = 0
    dropped = 0
    required = len(passages)
    everything = [*passages, *(optional or [])]
    for index, passage in enumerate(everything):
        text = with_items(passage, without_directives(passage.document.page_content), everything)
        if not text.strip():
            dropped += index < required
            continue
        n = len(packed) + 1
        cost = len(encoding.encode(block(PackedPassage(n, passage, text, 0)))) + 2  # + separator
        if used + cost > budget_tokens:
            if packed:
                dropped += index < required
                continue
            header_cost = cost - len(encoding.encode(text))
            room = max(budget_tokens - header_cost, 0)
            text = encoding.decode(encoding.encode(text)[:room]).rstrip() + " …"
            cost = budget_tokens
        packed.append(PackedPassage(n, passage, text, cost))
        used += cost
    return PackedContext(packed, used, dropped)
