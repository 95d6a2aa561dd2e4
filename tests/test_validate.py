"""The streaming validator on answers written over real retrieved passages.

Streaming must not change the verdict: the same answer fed in any chunk size yields the same text
and notes, and the text is built only from sentences that passed.
"""

from __future__ import annotations

import re

import pytest
from helpers import search

from advisor.answer.llm.context import PackedContext, pack_passages
from advisor.answer.llm.validator import StreamValidator, term_coverage, validate_text
from advisor.components import Advisor
from advisor.text import split_sentences

QUESTION = "How can businesses take part in EU digital partnerships and the Global Gateway?"


@pytest.fixture(scope="module")
def context(advisor: Advisor) -> PackedContext:
    result = search(advisor, QUESTION, "business")
    return pack_passages(result.passages, advisor.settings.llm_context_tokens, advisor.settings.tiktoken_encoding)


def sentences_of(context: PackedContext, n: int) -> list[str]:
    text = context.by_number()[n].text
    text = text.split(": ", 1)[1] if ": " in text[:120] else text
    spans = [text[a:b].strip() for a, b in split_sentences(text)]
    return [s[:-1] for s in spans if s.endswith(".") and len(s) > 30 and "*" not in s]


@pytest.fixture(scope="module")
def messy_answer(context: PackedContext) -> str:
    """Model-like output: uneven citation styles, an action heading, one bad item in the middle,
    a sentence continuing after an abbreviation, and a trailing uncited remark."""
    a, b = sentences_of(context, 1)[:2]
    c = sentences_of(context, 2)[0]
    return (
        f"{a}[1]. {c}, e.g. Under the strategy [2].\n\n"
        "### Recommended actions\n"
        f"1. {b} [1, 2].\n"
        "2. Apply for the €9 million Digital Partnership grant [1].\n"
        f"3. {c} [2][1].\n\n"
        "I hope this helps!"
    )


@pytest.mark.parametrize("size", [1, 2, 5, 17, 10_000])
def test_chunk_size_does_not_change_the_result(context: PackedContext, messy_answer: str, size: int) -> None:
    whole = validate_text(messy_answer, context)
    validator = StreamValidator(context)
    deltas = [validator.feed(messy_answer[i : i + size]) for i in range(0, len(messy_answer), size)]
    deltas.append(validator.finish())
    assert "".join(deltas) == validator.result.text == whole.text
    assert validator.result.notes == whole.notes


def test_messy_answer_is_cleaned_renumbered_and_explained(context: PackedContext, messy_answer: str) -> None:
    result = validate_text(messy_answer, context)
    text = result.text
    assert "€9 million" not in text and "I hope this helps" not in text
    assert "e.g. Under the strategy [2]." in text  # not split at the abbreviation
    # the list is renumbered after the removal, markers are sorted and deduplicated
    assert re.findall(r"^(\d+)\. ", text, re.M) == ["1", "2"]
    assert text.count("[1][2]") == 2
    figure, uncited = result.notes
    assert figure.startswith("removed (states") and "€9million" in figure and "not in the cited passage [1])" in figure
    assert uncited == "removed (cites no passage): I hope this helps!"
    assert result.failure(0.5) is None
    actions = [s for s in result.sentences if s.in_actions]
    assert [s.citations for s in actions] == [[1, 2], [1, 2]]


def test_heading_without_surviving_items_is_not_shown(context: PackedContext) -> None:
    a = sentences_of(context, 1)[0]
    result = validate_text(f"{a} [1].\n\n**Actions to take**\n1. Do something unsupported.\n", context)
    assert result.text == f"{a} [1]."
    assert result.failure(0.5) is None  # one of two sentences rejected: at the threshold, not above


def test_unsupported_majority_fails_validation(context: PackedContext) -> None:
    a = sentences_of(context, 1)[0]
    result = validate_text(f"{a} [1]. It is simple. Everyone agrees. Nothing else matters.", context)
    assert result.failure(0.5) == "3 of the model's 4 sentences failed validation"


def test_a_sentence_borrowing_a_citation_for_other_content_is_removed(context: PackedContext) -> None:
    """Well formed and cited, but about something the cited passage never mentions."""
    a = sentences_of(context, 1)[0]
    borrowed = "The city library opens on weekday mornings and lends up to ten books"
    result = validate_text(f"{a} [1]. {borrowed} [1].", context, min_term_coverage=0.6)
    assert result.text == f"{a} [1]."
    assert any(n.startswith("removed (its words are mostly not in the cited passage [1]") for n in result.notes)
    # The copied sentence itself covers all its words; without the rule the borrowed one passes.
    assert term_coverage(a, [sentences_of(context, 1)[0]]) == 1.0
    assert validate_text(f"{a} [1]. {borrowed} [1].", context).text == f"{a} [1]. {borrowed} [1]."
