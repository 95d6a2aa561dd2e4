"""The LLM answer backend: pack passages, stream the model, validate as it streams, fall back.

The grounded composer stays the safety net: when the model errors, times out, or its answer
fails validation, the composer's answer is returned instead, with the reason in `Answer.notes`.
It streams events of the one answer protocol (advisor.answer.events): validated text deltas as
they are generated, then the final `Answer`; the pipeline adds its citations event once the
validator has numbered them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from advisor.answer.events import AnswerEvent, DeltaEvent, StreamEvent
from advisor.answer.llm.chains import (
    DeadlineExceeded,
    answer_chain,
    chat_model,
    condense_chain,
    failure_reason,
    load_prompts,
)
from advisor.answer.llm.context import pack_passages
from advisor.answer.llm.validator import SemanticSupport, StreamValidator, validated_answer
from advisor.models import FALLBACK_NOTE, NOT_ASKED_NOTE, Answer
from advisor.query.audience import audience_name
from advisor.query.language import language
from advisor.query.understand import Query
from advisor.retrieval.passage import Passage
from advisor.settings import Settings
from advisor.storage.multilingual import MultilingualEncoder
from advisor.taxonomy import Taxonomy
from advisor.text import split_sentences

log = logging.getLogger(__name__)

@dataclass
class LLMBackend:
    settings: Settings
    taxonomy: Taxonomy
    chain: Runnable  # passages, question, audience -> answer text
    condenser: Runnable  # history, question -> standalone question
    name: str
    semantic: SemanticSupport | None = None  # multilingual meaning check for paraphrased sentences
    context_tokens: int | None = None  # passages' token budget; None: ADVISOR_LLM_CONTEXT_TOKENS

    def standalone(self, question: str, history: list[dict[str, str]]) -> tuple[str, str | None]:
        """Rewrite a follow-up as a standalone question; on failure keep it as asked, with a note."""
        turns = [m for m in history if m.get("role") in ("user", "assistant") and m.get("content")]
        turns = turns[-self.settings.llm_history_turns :]
        if not turns:
            return question, None
        lines = [f"{m['role'].capitalize()}: {' '.join(str(m['content']).split())[:600]}" for m in turns]
        try:
            rewritten = self.condenser.invoke({"history": "\n".join(lines), "question": question})
        except Exception as exc:  # noqa: BLE001 - any model failure means "use the question as asked"
            return question, f"follow-up not rewritten: {failure_reason(exc, self.settings)}"
        rewritten = next((line.strip() for line in rewritten.splitlines() if line.strip()), "")
        # small models often echo the label or quote the question
        rewritten = re.sub(r"^(standalone question|question)\s*:\s*", "", rewritten, flags=re.I).strip("\"“”' ")
        rewritten = rewritten[: self.settings.max_question_chars]
        return (rewritten, None) if rewritten else (question, "follow-up not rewritten: the model returned nothing")

    def stream(
        self,
        query: Query,
        passages: list[Passage],
        compose: Callable[[], Answer],
        covered: bool,
        more: list[Passage] | None = None,
    ) -> Iterator[StreamEvent]:
        """Validated text deltas, then the final Answer (the model's, or the composer's on fallback).

        `covered` is the one scope decision, taken from retrieval evidence before any backend
        answers (advisor.query.scope.in_scope): a question it declines never reaches the model, so
        both backends decline the same questions and a model never answers from passages that do
        not hold the answer. The composer's own difficulties (no sentence it would quote) do not
        gate the model, which may well answer from the same passages. The composer's answer is
        still built first (a few ms): it is the fallback, and it names a missing detail.
        `more` passages (the rest of the strategy) fill what the token budget leaves."""
        settings = self.settings
        composed = compose()
        if not covered:
            composed.notes.append(f"{NOT_ASKED_NOTE}: the documents do not cover the question")
            yield DeltaEvent(composed.answer)
            yield AnswerEvent(composed)
            return
        # What the documents do not give is said first, in the composer's own plain sentence: a model
        # would answer the covered part and the gap would silently vanish in validation.
        opening = composed.answer.split("\n", 1)[0] + "\n\n" if composed.missing_detail else ""
        if opening:
            yield DeltaEvent(opening)
        budget = self.context_tokens or settings.llm_context_tokens
        context = pack_passages(passages, budget, settings.tiktoken_encoding, more)
        validator = StreamValidator(
            context, settings.llm_on_unsupported, settings.llm_min_term_coverage, self.semantic,
            settings.llm_min_semantic_support, question=f"{query.asked}\n{query.text}",
            semantic_margin=settings.llm_semantic_margin, others=more,
        )
        inputs = {
            "passages": context.prompt_block(),
            "question": query.text,
            "audience": audience_name(query.audience, "prompt"),
            "language": language(query.language).name,
        }
        started = time.perf_counter()
        deadline = time.monotonic() + settings.llm_deadline_s
        shown = bool(opening)
        try:
            for chunk in self.chain.stream(inputs):
                if time.monotonic() > deadline:
                    raise DeadlineExceeded()
                piece = validator.feed(chunk)
                if piece:
                    shown = True
                    yield DeltaEvent(piece)
            piece = validator.finish()
            if piece:
                shown = True
                yield DeltaEvent(piece)
        except Exception as exc:  # noqa: BLE001 - every model failure falls back, with its reason
            log.warning("LLM answer failed: %r", exc)
            yield from self._fall_back(composed, failure_reason(exc, settings), shown)
            return
        generated_ms = (time.perf_counter() - started) * 1000
        failure = validator.result.failure(settings.llm_max_rejected_fraction)
        if failure:
            yield from self._fall_back(composed, f"the model's answer failed validation: {failure}", shown,
                                       validator.result.notes)
            return
        answer = validated_answer(query.asked, query.audience, validator.result, self.taxonomy, self.name)
        if opening:
            answer.answer = opening + answer.answer
            answer.missing_detail = composed.missing_detail
        if context.dropped:
            answer.notes.append(f"{context.dropped} retrieved passage(s) left out to fit the context budget")
        answer.timings_ms["generate"] = round(generated_ms, 2)
        yield AnswerEvent(answer)

    def _fall_back(
        self, answer: Answer, reason: str, shown: bool, details: list[str] | None = None
    ) -> Iterator[StreamEvent]:
        answer.notes = [f"{FALLBACK_NOTE}: {reason}", *(details or []), *answer.notes]
        if shown:  # the client already holds part of the withdrawn answer: say so in the stream
            yield DeltaEvent(f"\n\n---\n*The model's answer was withdrawn ({reason}). Grounded answer:*\n\n")
        yield DeltaEvent(answer.answer)
        yield AnswerEvent(answer)



def semantic_support(encoder: MultilingualEncoder) -> SemanticSupport:
    """How close a generated sentence is, in meaning, to the closest sentence of its cited passages,
    and to the closest sentence of the other passages (sentence vectors are cached on disk)."""

    def closest(vector: np.ndarray, passages: list[str]) -> float:
        candidates = [p[a:b] for p in passages for a, b in split_sentences(p)] or passages
        if not candidates:
            return -1.0
        return float((encoder.passages(candidates) @ vector).max())

    def support(sentence: str, cited: list[str], others: list[str]) -> tuple[float, float]:
        vector = encoder.passages([sentence])[0]
        return closest(vector, cited), closest(vector, others)

    return support


def build_answer_backend(
    settings: Settings, taxonomy: Taxonomy, multilingual: MultilingualEncoder | None = None
) -> LLMBackend | None:
    """None for the default composer; raises LLMConfigError when the chosen backend cannot run."""
    if settings.llm == "none":
        return None
    prompts = load_prompts(settings.prompts_dir, settings.llm_prompt_version)
    if settings.llm == "local":
        from advisor.answer.llm.local import local_chat_model

        model: BaseChatModel = local_chat_model(settings)
        name = f"local:{settings.local_model}"
        # llama.cpp holds the prompt, the passages and the answer in one context
        budget = min(
            settings.llm_context_tokens,
            settings.local_context_tokens - settings.llm_max_tokens - settings.local_prompt_reserve_tokens,
        )
    else:
        model = chat_model(settings)
        name = f"openai:{settings.llm_model}"
        budget = settings.llm_context_tokens
    return LLMBackend(
        settings=settings,
        taxonomy=taxonomy,
        chain=answer_chain(prompts, model),
        condenser=condense_chain(prompts, model),
        name=name,
        semantic=semantic_support(multilingual) if multilingual is not None else None,
        context_tokens=budget,
    )
