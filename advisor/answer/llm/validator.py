"""Validate a generated answer sentence by sentence, while it streams, before the user sees it.

A language model may cite nothing, cite a passage it was never given, or state a figure its
sources do not contain. The validator holds generated text to the composer's standard:
- every sentence that states something must cite [n] of a passage that was in the prompt;
- every number, date or amount in a sentence must appear in one of the passages it cites
  (`advisor.answer.grounding.unsupported_figures`);
- every name of a programme, law, body or person must appear in a cited passage
  (`advisor.answer.grounding.unsupported_names`, which knows other languages' names for them);
- it must mean what it cites: most of its content words (stemmed; `min_term_coverage`) occur in
  the passages it cites, or, for a paraphrase or an answer in the asker's language, the
  multilingual model finds a sentence of a cited passage close in meaning (`min_semantic_support`)
  and none of the documents' other passages clearly closer (`semantic_margin`), so a
  well-formed sentence about something else cannot borrow a citation;
- a sentence that only says what the documents do not give needs no citation, but may state no
  figure that neither the passages nor the question state;
- sentences that read like planted instructions never pass (advisor.answer.quotable).
A sentence that breaks a rule is removed (or, with ADVISOR_LLM_ON_UNSUPPORTED=flag, kept and
marked "(unverified)"), and each one is named in `Answer.notes`. Only checked sentences are
emitted, so the text streamed to a client equals the final `Answer.answer`. Citation numbers
are renumbered 1..k in order of first use, matching the citations list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from advisor.answer.grounding import unsupported_figures, unsupported_names
from advisor.answer.llm.context import PackedContext, PackedPassage
from advisor.answer.quotable import is_directive, without_directives
from advisor.models import Action, Answer, KeyPoint
from advisor.query.language import languages
from advisor.retrieval.passage import Passage
from advisor.taxonomy import Taxonomy
from advisor.text import STOP_LOOKAHEAD, inner_stops, terms

UNVERIFIED = "(unverified)"

_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_MARKER_RUN = re.compile(r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")  # "[2][1]" or "[1, 2]" or "[1] [3]"
# A sentence ends at . ! ? (or Arabic ؟), after any closing quotes and citations, or at a citation
# with no full stop or with a colon ("…goals [1]: This includes…"; list items often lack a full
# stop), before a word that starts a sentence: a capital in any script, a digit, or a letter of a
# script without case. Otherwise a claim with no citation of its own would pass on the citation
# of the claim before it.
_SENTENCE_END = re.compile(
    r"(?:[.!?؟][\"”’)*]*|(?<=\S)(?=\s*\[\d))(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*[.!?؟:]?[\"”’)*]*(?=\s+[\"“(*]*(?P<next>\w))"
)
_LIST = re.compile(r"^\s*(?:([-*•])|(\d+)[.)])\s+")
_MAYBE_LIST = re.compile(r"^\s*(?:[-*•]|\d+[.)]?)?$")
_HEADING = re.compile(
    r"^\s*(?:#{1,6}\s+(?P<h1>.+?)|\*\*(?P<h2>[^*]+?)\*\*:?|__(?P<h3>[^_]+?)__:?|(?P<h4>[A-Z][^.!?\[\]:*]{0,60}):)\s*$"
)
_SOURCES_HEADING = re.compile(r"^(sources|references|citations|passages)(\s+(used|cited))?\s*:?$", re.I)
_ACTION_HEADING = re.compile(r"\b(actions?|steps?|recommend\w*|what to do|next steps)\b", re.I)
DECLINE = re.compile(
    r"^(the|these|those)\s+(documents?|passages?|sources?|strategy|summary|text)\s+(do|does)\s*(not|n[’']t)\s+"
    r"(cover|say|give|state|mention|answer|specify|provide|include|contain|name|list|set|define|detail)",
    re.I,
)
# Multilingual model: (sentence, cited passages, the documents' other passages) -> (similarity of
# the closest sentence of the cited passages, similarity of the closest sentence elsewhere).
SemanticSupport = Callable[[str, list[str], list[str]], tuple[float, float]]


def absence_statement(sentence: str) -> bool:
    """Only says what the documents do not give ("The documents do not name any EU official",
    "Le résumé ne mentionne pas la Tunisie"), in any supported language: it needs no citation
    (knowledge/languages.yaml `absence`). A contrasting clause ("…, but the EU pays 50%") or a
    second clause that is not an absence ("…; the contact is X") states something more, so such
    a sentence is checked like any other."""
    if contrast_pattern().search(sentence):
        return False
    # every clause says what is missing: "It does not name a contact; X handles it" states X
    clauses = [c for c in _CLAUSE_BREAK.split(sentence) if c.strip()]
    return bool(clauses) and all(DECLINE.match(c) or absence_pattern().match(c) for c in clauses)


@lru_cache(maxsize=1)
def absence_pattern() -> re.Pattern[str]:
    openers = [p for lang in languages().values() for p in lang.absence]
    return re.compile("|".join(f"(?:{p})" for p in openers) or "(?!)", re.I)


@lru_cache(maxsize=1)
def contrast_pattern() -> re.Pattern[str]:
    words = sorted({re.escape(w) for lang in languages().values() for w in lang.contrast}, key=len, reverse=True)
    return re.compile(rf"[,;:–—]\s*(?:{'|'.join(words) or '(?!)'})(?!\w)", re.I)


_CLAUSE_BREAK = re.compile(r"\s*[;:]\s+")


def starts_sentence(ch: str) -> bool:
    """A capital (any script), a digit, or a letter of a script without case (Arabic)."""
    return ch.isupper() or ch.isdigit() or (ch.isalpha() and not ch.islower())


@dataclass
class Sentence:
    """One checked sentence; `text` is as emitted (renumbered markers), `plain` without them."""

    text: str
    plain: str
    citations: list[int]  # display numbers
    list_item: int | None  # index of the list item it belongs to, if any
    in_actions: bool
    decline: bool = False
    flagged: bool = False


@dataclass
class Validation:
    """What the validator let through, and what it rejected with the reasons."""

    sentences: list[Sentence] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # one note per rejected/flagged sentence
    notes: list[str] = field(default_factory=list)  # every note for the user, rejections included
    checked: int = 0  # sentences that needed a citation (structural lines excluded)
    used: list[PackedPassage] = field(default_factory=list)  # display order
    text: str = ""

    @property
    def cited(self) -> list[Sentence]:
        return [s for s in self.sentences if s.citations and not s.flagged]

    def failure(self, max_rejected_fraction: float) -> str | None:
        """Why the whole answer is unusable, or None when it passes."""
        declined = any(s.decline for s in self.sentences)
        if not self.cited and not declined:
            if not self.checked:
                return "the model returned no answer text"
            return f"none of the model's {self.checked} sentences could be verified against the passages"
        if self.checked and len(self.rejected) / self.checked > max_rejected_fraction:
            return f"{len(self.rejected)} of the model's {self.checked} sentences failed validation"
        return None


def _snippet(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class StreamValidator:
    """Feed model deltas in; get back only validated text, ready to show.

    Lines are kept as the model structured them (paragraph, heading, list), but a heading or a
    blank line is only emitted once a validated sentence follows it, so removing every action
    never leaves an empty "Actions" heading behind. Ordered lists are renumbered after removals.
    """

    def __init__(
        self,
        context: PackedContext,
        mode: str = "remove",
        min_term_coverage: float = 0.0,
        semantic: SemanticSupport | None = None,
        min_semantic_support: float = 1.0,
        question: str = "",
        semantic_margin: float = 0.0,
        others: list[Passage] | None = None,
    ) -> None:
        self.given = context.by_number()
        self.question = question  # an absence statement may repeat the asker's own figures
        self.mode = mode
        self.min_term_coverage = min_term_coverage
        self.semantic = semantic
        self.min_semantic_support = min_semantic_support
        self.semantic_margin = semantic_margin
        # the documents' passages beyond the prompt, for the meaning check
        self.others = [without_directives(p.document.page_content) for p in others or []]
        self.result = Validation()
        self._display: dict[int, int] = {}
        self._buffer = ""  # the current, unfinished line
        self._consumed = 0  # characters of the current line already checked
        self._marker: str | None = None  # decided list marker of the current line ("" if none)
        self._line_open = False  # something of the current line has been emitted
        self._pending = ""  # structure (blank lines, headings) awaiting a validated sentence
        self._in_actions = False
        self._item = -1
        self._ordered = False
        self._ordinal = 0
        self._any_heading = False
        self._emitted: list[str] = []
        self._ignore_rest = False  # after the model's own list of sources

    # ---- input ----------------------------------------------------------------------------
    def feed(self, delta: str) -> str:
        out: list[str] = []
        self._buffer += delta
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            out.append(self._finish_line(line))
        out.append(self._partial(self._buffer))
        return "".join(out)

    def finish(self) -> str:
        text = self._finish_line(self._buffer) if self._buffer.strip() else ""
        self._buffer = ""
        self.result.text = "".join(self._emitted).strip()
        return text

    # ---- line handling --------------------------------------------------------------------
    def _decide_marker(self, line: str, complete: bool) -> bool:
        if self._marker is not None:
            return True
        stripped = line.lstrip()
        if not complete and (_MAYBE_LIST.match(line) or stripped.startswith(("#", "**", "__"))):
            return False  # could still become a list item or a heading
        match = _LIST.match(line)
        self._marker = match.group(0) if match else ""
        self._consumed = len(self._marker)
        if match:
            self._item += 1
            self._ordered = bool(match.group(2))
        return True

    def _partial(self, line: str, complete: bool = False) -> str:
        if self._ignore_rest or not line or not self._decide_marker(line, complete):
            return ""
        out = []
        body = line[self._consumed :]
        stops = inner_stops(body)
        start = 0
        for match in _SENTENCE_END.finditer(body):
            if not complete and len(body) - match.end() < STOP_LOOKAHEAD:
                break  # "z. B." or "5. Juni" may still be arriving: decide with the next delta
            if match.start() in stops or not starts_sentence(match.group("next")):
                continue
            out.append(self._check(body[start : match.end()]))
            start = match.end()
        self._consumed += start
        return "".join(out)

    def _finish_line(self, line: str) -> str:
        if self._ignore_rest:
            return ""
        untouched = not self._marker and not self._line_open and self._consumed == 0
        heading = _HEADING.match(line) if untouched else None
        if heading is not None:
            title = next(g for g in heading.group("h1", "h2", "h3", "h4") if g).strip()
            if _SOURCES_HEADING.match(title):
                # the citations list already names the sources; a model-written list is unchecked
                self._ignore_rest = True
                self.result.notes.append("left out the model's own list of sources; see the citations")
                return ""
            self._in_actions = bool(_ACTION_HEADING.search(title))
            self._any_heading = True
            self._ordinal = 0
            if is_directive(title) or unsupported_figures(title, [p.text for p in self.given.values()]):
                self.result.notes.append(f"removed a heading: {_snippet(title)}")
            else:
                # replaces a pending blank line, or a heading whose every sentence was removed
                self._pending = ("\n\n" if self._has_output() else "") + line.strip() + "\n"
            self._reset_line()
            return ""
        if not line.strip():
            if self._pending == "\n":
                self._pending = "\n\n"
            self._reset_line()
            return ""
        out = self._partial(line, complete=True)
        remainder = line[self._consumed :]
        if remainder.strip():
            out += self._check(remainder)
        if self._line_open:
            self._pending = "\n"  # emitted with the next validated sentence, so nothing trails
        self._reset_line()
        return out

    def _reset_line(self) -> None:
        self._consumed = 0
        self._marker = None
        self._line_open = False

    def _has_output(self) -> bool:
        return bool(self._emitted)

    # ---- one sentence ---------------------------------------------------------------------
    def _check(self, raw: str) -> str:
        sentence = raw.strip()
        if not sentence:
            return ""
        plain = re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub("", sentence)).replace("**", "").strip()
        cites = [int(n) for group in _MARKER.findall(sentence) for n in re.split(r"[,;]", group)]
        valid = list(dict.fromkeys(c for c in cites if c in self.given))
        invalid = sorted({c for c in cites if c not in self.given})
        all_text = [p.text for p in self.given.values()]

        if is_directive(plain):
            return self._reject(sentence, plain, "reads like an instruction, not an answer", always_remove=True)
        structural = plain.endswith(":") and not cites
        decline = absence_statement(plain) and not valid
        if structural or decline:
            # Saying the documents lack the asker's "500 million" or "Horizon Fund" repeats the
            # question and invents nothing; any other figure or name in an uncited line is a claim
            # of its own (a lead-in may not restate the asker's figure as a fact).
            pool = [*all_text, self.question] if decline else all_text
            figures = unsupported_figures(plain, pool)
            if figures:
                return self._reject(sentence, plain, f"states {', '.join(figures)}, which no passage contains")
            names = unsupported_names(plain, pool)
            if names:
                return self._reject(sentence, plain, f"names {', '.join(names)}, which no passage contains")
            return self._emit(plain, plain, [], decline=decline)
        self.result.checked += 1
        if not valid:
            if invalid:
                reason = f"cites {''.join(f'[{n}]' for n in invalid)}, a passage that was not given"
            else:
                reason = "cites no passage"
            return self._reject(sentence, plain, reason)
        figures = unsupported_figures(plain, [self.given[c].text for c in valid])
        if figures:
            marks = "".join(f"[{c}]" for c in valid)
            return self._reject(sentence, plain, f"states {', '.join(figures)}, not in the cited passage {marks}")
        cited_texts = [self.given[c].text for c in valid]
        marks = "".join(f"[{c}]" for c in valid)
        names = unsupported_names(plain, cited_texts)
        if names:
            return self._reject(sentence, plain, f"names {', '.join(names)}, not in the cited passage {marks}")
        coverage = term_coverage(plain, cited_texts)
        if coverage < self.min_term_coverage:
            # A faithful paraphrase, or an answer in the asker's language, shares few words with the
            # passage but means the same: judged by the multilingual model instead.
            unsupported = self._meaning_unsupported(plain, valid)
            if unsupported:
                return self._reject(
                    sentence, plain, f"its words are mostly not in the cited passage {marks} ({coverage:.0%}) "
                    f"and {unsupported}",
                )
        if invalid:
            self.result.notes.append(
                f"dropped citation {''.join(f'[{n}]' for n in invalid)} (no such passage) from: {_snippet(plain)}"
            )
        display = sorted({self._number(c) for c in valid})
        text = self._renumber(sentence)
        return self._emit(text, plain, display)

    def _meaning_unsupported(self, plain: str, valid: list[int]) -> str | None:
        """Why the multilingual model does not find the sentence's meaning in its cited passages,
        or None when it does: a cited sentence close enough, and no other passage clearly closer
        (a sentence copied from another section and cited here is closest to its real source)."""
        if self.semantic is None:
            return "no meaning check is available"
        others = [p.text for n, p in self.given.items() if n not in valid] + self.others
        cited, elsewhere = self.semantic(plain, [self.given[c].text for c in valid], others)
        if cited < self.min_semantic_support:
            return f"its meaning is not close to it ({cited:.2f})"
        if elsewhere - cited > self.semantic_margin:
            return f"another passage is closer in meaning ({elsewhere:.2f} against {cited:.2f})"
        return None

    def _number(self, n: int) -> int:
        if n not in self._display:
            self._display[n] = len(self._display) + 1
            self.result.used.append(self.given[n])
        return self._display[n]

    def _renumber(self, sentence: str) -> str:
        def swap(match: re.Match[str]) -> str:
            numbers = [int(n) for n in re.findall(r"\d+", match.group(0))]
            kept = sorted({self._display[n] for n in numbers if n in self._display})
            return (" " + "".join(f"[{n}]" for n in kept)) if kept else ""

        text = _MARKER_RUN.sub(swap, sentence)
        return re.sub(r"\s+([.,;:!?])", r"\1", text).strip()

    def _reject(self, sentence: str, plain: str, reason: str, always_remove: bool = False) -> str:
        if self.mode == "flag" and not always_remove:
            self._note_rejection(f"flagged (unverified: {reason}): {_snippet(plain)}")
            cites = [int(n) for group in _MARKER.findall(sentence) for n in re.split(r"[,;]", group)]
            valid = [self._number(c) for c in dict.fromkeys(cites) if c in self.given]
            text = f"{self._renumber(sentence)} {UNVERIFIED}"
            return self._emit(text, plain, valid, flagged=True)
        self._note_rejection(f"removed ({reason}): {_snippet(plain)}")
        return ""

    def _note_rejection(self, note: str) -> None:
        self.result.rejected.append(note)
        self.result.notes.append(note)

    def _emit(
        self, text: str, plain: str, citations: list[int], decline: bool = False, flagged: bool = False
    ) -> str:
        if self._line_open:
            piece = " " + text
        else:
            prefix = ""
            if self._marker:
                if self._ordered:
                    self._ordinal += 1
                    prefix = f"{self._ordinal}. "
                else:
                    prefix = "- "
            piece = self._pending + prefix + text
            self._pending = ""
            self._line_open = True
        item = self._item if self._marker else None
        # A list with no heading above it is the list of actions; under headings, only the
        # actions heading's list is.
        in_actions = self._in_actions or (item is not None and not self._any_heading)
        self.result.sentences.append(Sentence(text, plain, citations, item, in_actions, decline, flagged))
        self._emitted.append(piece)
        return piece


def validated_answer(
    question: str,
    audience: str,
    validation: Validation,
    taxonomy: Taxonomy,
    backend: str,
) -> Answer:
    """The Answer contract from validated sentences: citations in display order, actions from
    list items in the actions part, key points from the other cited sentences."""
    # what the model was shown under that number, which is what each sentence was checked against
    citations = [
        packed.passage.citation(i).model_copy(update={"text": packed.text})
        for i, packed in enumerate(validation.used, start=1)
    ]
    actions: list[Action] = []
    key_points: list[KeyPoint] = []
    items: dict[int, list[Sentence]] = {}
    for sentence in validation.sentences:
        if sentence.decline or sentence.flagged or not sentence.citations:
            continue
        if sentence.list_item is not None and sentence.in_actions:
            items.setdefault(sentence.list_item, []).append(sentence)
        else:
            key_points.append(KeyPoint(text=sentence.plain, citations=sentence.citations))
    for parts in items.values():
        cites = list(dict.fromkeys(c for s in parts for c in s.citations))
        actions.append(Action(text=" ".join(s.plain for s in parts), citations=cites))
    absence = next((s.plain for s in validation.sentences if s.decline), None)
    return Answer(
        question=question,
        audience=audience,
        in_scope=bool(validation.cited),
        answer=validation.text,
        focus_areas=taxonomy.areas_served([p.passage.metadata for p in validation.used]),
        actions=actions,
        citations=citations,
        backend=backend,
        key_points=key_points,
        missing_detail=absence,
        notes=list(validation.notes),
    )


def term_coverage(sentence: str, passages: list[str]) -> float:
    """Share of the sentence's content terms that occur in the passages (1.0 when it has none)."""
    wanted = set(terms(sentence))
    if not wanted:
        return 1.0
    have: set[str] = set()
    for text in passages:
        have.update(terms(text))
    return len(wanted & have) / len(wanted)


def validate_text(text: str, context: PackedContext, **options: Any) -> Validation:
    """Validate a complete (non-streamed) answer; same rules and options as StreamValidator."""
    validator = StreamValidator(context, **options)
    validator.feed(text)
    validator.finish()
    return validator.result
