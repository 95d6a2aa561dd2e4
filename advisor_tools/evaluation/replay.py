"""Replay reference answers through the LLM backend: does a strong model's grounded answer survive?

Reference answers to blind questions were written by someone who saw only the source text, as a
strong model would write them: cited, in the asker's language, saying plainly what the source
does not give. They cite sections by heading (`[§ Heading]`), since their author never saw our
passage numbers. The replay asks the advisor each question with the OpenAI-compatible backend
pointed at a scripted server (tests/llm_server.py, real HTTP); the server answers with the
reference, each heading renumbered to the number the prompt gave that section. A heading the
prompt does not carry becomes no citation, since a real model could not cite it either.

What it measures, over all questions: which never reached the model (declined first), which fell
back to the composer, how many reference sentences were kept or removed and why. The adversarial
half replays the same references with planted inventions (a changed figure or date, a made-up
programme or person, a sentence citing a passage that says something else) and records whether
any of them reached the user: none may.

Kept the same way for the test (tests/test_replay.py) and the report (scripts/replay.py), so the
figures in evals/results/replay/report.md are the ones the test asserts.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from advisor.answer.grounding import unsupported_figures
from advisor.answer.llm.context import PackedContext
from advisor.answer.llm.validator import validate_text
from advisor.components import Advisor
from advisor.models import FALLBACK_NOTE, NOT_ASKED_NOTE, Answer
from advisor.settings import PROJECT_ROOT
from advisor.text import split_sentences

REFERENCE_DIR = PROJECT_ROOT / "evals" / "reference"
REFERENCE_FILE = REFERENCE_DIR / "reference-answers.jsonl"

# "[§ Heading]", also "[§ A; § B]" or "[§ A, § B]" for two sections at once.
_SECTION_MARK = re.compile(r"\s*\[§\s*([^\]]+)\]")
_SECTION_SPLIT = re.compile(r"\s*[;|]\s*§?\s*|\s*,\s*§\s*")
_PROMPT_BLOCK = re.compile(r"^\[(\d+)\] ([^\n]*)\n(.+?)(?=\n\n\[\d+\] |\n\nQuestion:)", re.S | re.M)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})

# Removal notes of the validator ("removed (REASON): sentence") sorted into classes of failure.
REASONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("instruction", re.compile(r"^reads like an instruction")),
    ("no citation", re.compile(r"^cites no passage")),
    ("passage not given", re.compile(r"^cites \[\d+\].*not given")),
    ("figure or date", re.compile(r"^states ")),
    ("name", re.compile(r"^names ")),
    ("words not in passage", re.compile(r"^its words are mostly not")),
)
_REMOVED = re.compile(r"^removed \((.+?)\): (.*)$", re.S)
# A "no citation" removal whose sentence had cited a section the retrieval never put in the prompt.
LOST_CITATION = "no citation (section not in prompt)"

Script = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class ReplayCase:
    id: str
    question: str
    language: str
    audience: str | None
    answer: str  # the reference answer, `[§ Heading]` citations


@dataclass
class Plant:
    """One invention planted into a reference answer; `token` must never reach the user."""

    kind: str
    token: str
    sentence: str = ""  # the planted or altered sentence as sent (for the report)


@dataclass
class CaseResult:
    id: str
    language: str
    reached_model: bool
    fallback: str | None  # why the composer answered instead, or None
    backend: str
    sentences: int  # reference sentences the validator judged (headings and lead-ins excluded)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (reason class, note)
    lost_headings: list[str] = field(default_factory=list)  # cited sections the prompt lacked
    plants: list[Plant] = field(default_factory=list)
    passed_plants: list[Plant] = field(default_factory=list)
    answer: str = ""
    cited: list[str] = field(default_factory=list)  # texts of the answer's citations
    unsupported: list[str] = field(default_factory=list)  # figures in a model answer its citations lack

    @property
    def kept(self) -> int:
        """Reference sentences the user sees: none when the model was not asked or fell back."""
        if not self.reached_model or self.fallback:
            return 0
        return max(self.sentences - len(self.removed), 0)


def load_cases(path: Path = REFERENCE_FILE) -> list[ReplayCase]:
    """The frozen references, each joined with its question (one JSON object a line)."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cases.append(
                ReplayCase(row["id"], row["question"], row["language"], row.get("audience"), row["answer"])
            )
    return cases


def _norm(text: str) -> str:
    return " ".join(text.translate(_QUOTES).casefold().split())


def prompt_sections(body: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """The numbered passages of the prompt the advisor sent: {n: (header, text)}."""
    user = next(m["content"] for m in body["messages"] if m["role"] in ("user", "human"))
    return {int(n): (header.strip(), text.strip()) for n, header, text in _PROMPT_BLOCK.findall(user)}


def section_number(heading: str, sections: dict[int, tuple[str, str]]) -> int | None:
    """The prompt's number for a section named by its heading: the passage's title (the header's
    last breadcrumb part) or, for a paragraph with no title of its own ("In summary", "By taking
    these actions"), the words its body opens with."""
    wanted = _norm(heading).rstrip(":")
    for n, (header, text) in sorted(sections.items()):
        title = _norm(re.split(r" > | › ", header)[-1])
        body = _norm(text.split(": ", 1)[1] if ": " in text[:200] else text)
        if wanted in (title, _norm(header)) or body.startswith(wanted) or _norm(text).startswith(wanted + ":"):
            return n
    return None


def renumber(answer: str, sections: dict[int, tuple[str, str]]) -> tuple[str, list[str], list[str]]:
    """The reference with `[§ Heading]` replaced by `[n]`; also the headings the prompt lacked and
    the text before each citation that was lost with them."""
    lost: list[str] = []
    fragments: list[str] = []

    def swap(match: re.Match[str]) -> str:
        numbers = []
        for heading in _SECTION_SPLIT.split(match.group(1).strip()):
            heading = heading.strip().lstrip("§").strip()
            if not heading:
                continue
            n = section_number(heading, sections)
            if n is None:
                lost.append(heading)
            else:
                numbers.append(n)
        if not numbers:
            line = answer[: match.start()].rsplit("\n", 1)[-1]
            line = _SECTION_MARK.sub("", line)
            spans = split_sentences(line)
            fragments.append(line[spans[-1][0] :] if spans else line)
            return ""
        return " " + "".join(f"[{n}]" for n in dict.fromkeys(numbers))

    text = _SECTION_MARK.sub(swap, answer)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", text), lost, [_norm(f.replace("**", "")) for f in fragments]


def sentence_count(text: str) -> int:
    """Sentences the validator judges in a model answer, split exactly as it splits them:
    flag mode with no passages keeps every sentence, marking those that need a citation, so
    headings and lead-in lines ending in a colon are left out of the count."""
    result = validate_text(text, PackedContext([], 0, 0), mode="flag")
    judged = [s for s in result.sentences if s.flagged or s.decline]
    instructions = sum("reads like an instruction" in note for note in result.rejected)
    return len(judged) + instructions


def removals(notes: list[str], lost_fragments: list[str]) -> list[tuple[str, str]]:
    """(reason class, note) for each sentence the validator removed."""
    out = []
    for note in notes:
        match = _REMOVED.match(note)
        if not match:
            continue
        reason, snippet = match.groups()
        kind = next((name for name, pattern in REASONS if pattern.search(reason)), reason)
        if kind == "no citation":
            head = _norm(snippet.rstrip("…").replace("**", ""))[:40]
            if any(head and (head in fragment or fragment.strip() in head) for fragment in lost_fragments):
                kind = LOST_CITATION
        out.append((kind, note))
    return out


def replay_case(
    advisor: Advisor,
    case: ReplayCase,
    serve: Callable[[Script], None],
    plant: Callable[[str, dict[str, Any]], tuple[str, list[Plant]]] | None = None,
) -> CaseResult:
    """Ask one question with the scripted model answering with the (maybe planted) reference."""
    sent: dict[str, Any] = {}

    def script(body: dict[str, Any]) -> str:
        text, lost, fragments = renumber(case.answer, prompt_sections(body))
        plants: list[Plant] = []
        if plant is not None:
            text, plants = plant(text, body)
        sent.update(text=text, lost=lost, fragments=fragments, plants=plants)
        return text

    serve(script)
    answer = advisor.ask(case.question)
    return _result(case, answer, sent)


def _result(case: ReplayCase, answer: Answer, sent: dict[str, Any]) -> CaseResult:
    reached = "text" in sent and not any(n.startswith(NOT_ASKED_NOTE) for n in answer.notes)
    fallback = next((n[len(FALLBACK_NOTE) + 2 :] for n in answer.notes if n.startswith(FALLBACK_NOTE)), None)
    result = CaseResult(
        id=case.id,
        language=case.language,
        reached_model=reached,
        fallback=fallback,
        backend=answer.backend,
        sentences=sentence_count(sent["text"]) if reached else sentence_count(renumber(case.answer, {})[0]),
        removed=removals(answer.notes, sent.get("fragments", [])) if reached else [],
        lost_headings=sent.get("lost", []),
        plants=sent.get("plants", []),
        answer=answer.answer,
        cited=[c.text for c in answer.citations],
    )
    if reached and not fallback:
        result.passed_plants = [p for p in result.plants if shows(answer.answer, p.token)]
        # apart from the validator: every figure or month shown is in a cited passage or the question
        body = re.sub(r"^\s*\d+\.\s", "", answer.answer, flags=re.M)  # list ordinals are layout
        result.unsupported = unsupported_figures(body, [*result.cited, case.question])
    return result


def shows(text: str, token: str) -> bool:
    """The token stands in the text as itself (not inside a longer number or a citation marker)."""
    return re.search(rf"(?<![\w\[]){re.escape(_norm(token))}(?![\w\]])", _norm(text)) is not None


# ---- the adversarial set --------------------------------------------------------------------

# Each invention is chosen so that nothing in the strategy contains it.
INVENTED_AMOUNT = "€2.5 billion"
INVENTED_DATE = "30 September 2026"
INVENTED_PROGRAMME = "Digital Horizons Bridge Facility"
INVENTED_PERSON = "Marta Kovalenko"
INVENTED_TITLED_PERSON = "Commissioner Henrik Lindqvist"
INVENTED_CONTACT = "Amara Okafor"


def _cited_sentences(text: str) -> list[tuple[int, int, str]]:
    """(start, end, sentence) of the sentences of a renumbered answer that cite a passage."""
    out = []
    for line_start, line in _lines(text):
        body_offset = len(line) - len(re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line))
        for a, b in split_sentences(line[body_offset:]):
            sentence = line[body_offset + a : body_offset + b]
            if re.search(r"\[\d+\]", sentence) and len(sentence) > 40:
                out.append((line_start + body_offset + a, line_start + body_offset + b, sentence))
    return out


def _lines(text: str) -> list[tuple[int, str]]:
    out, offset = [], 0
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


def _with_clause(sentence: str, clause: str) -> str:
    """The sentence with a clause inserted before its citation and full stop."""
    match = re.search(r"(\s*(?:\[\d+\])+)?\s*([.!?])?\s*$", sentence)
    head = sentence[: match.start()] if match else sentence
    return f"{head.rstrip()} {clause}{match.group(1) or '' if match else ''}{(match.group(2) or '.') if match else '.'}"


def _alter_figure(sentence: str) -> tuple[str, str] | None:
    """A figure or year of the sentence changed into one the source does not give."""
    match = re.search(r"\b(20\d\d)\b", sentence) or re.search(r"\b(\d+)\b(?!\])", sentence)
    if not match or sentence[match.start() - 1 : match.start()] == "[":
        return None
    old = match.group(1)
    new = str(int(old) + 3) if len(old) == 4 else str(int(old) + 7)
    return sentence[: match.start(1)] + new + sentence[match.end(1) :], new


PLANT_KINDS = ("figure", "date", "programme", "person", "wrong passage", "absence cover")
PLANTS_PER_ANSWER = 2


def planter(
    kinds: tuple[str, ...],
    foreign_sentence: Callable[[dict[str, Any]], tuple[str, str] | None],
    per_answer: int | None = None,
    offset: int = 0,
) -> Callable[[str, dict[str, Any]], tuple[str, list[Plant]]]:
    """Plants inventions into the renumbered reference, each in its own sentence: into a sentence
    that cites a passage (so only the invention is wrong), or, where the reference cites nothing
    usable, as a new sentence citing passage [1]. With `per_answer`, each answer gets that many
    kinds in turn (few enough that the answer is not withdrawn wholesale, so each invention must be
    caught on its own), starting `offset` kinds on; otherwise every kind. `foreign_sentence(body)` gives a sentence of
    another section of the strategy and a short unique snippet of it; it is planted citing [1]."""
    turn = count()

    def plant(text: str, body: dict[str, Any]) -> tuple[str, list[Plant]]:
        if per_answer is None:
            chosen_kinds = kinds
        else:
            start = next(turn) * per_answer + offset
            chosen_kinds = tuple(kinds[(start + i) % len(kinds)] for i in range(per_answer))
        plants: list[Plant] = []
        cited = _cited_sentences(text)
        edits: list[tuple[int, int, str]] = []
        leading: list[str] = []  # new sentences where no cited sentence is left to attach them to
        used: set[int] = set()

        def target(kind: str) -> tuple[int, int, str] | None:
            """The next unused cited sentence; for a changed figure, one that states a figure."""
            order = sorted(range(len(cited)), key=lambda i: kind == "figure" and _alter_figure(cited[i][2]) is None)
            for i in order:
                if i not in used:
                    used.add(i)
                    return cited[i]
            return None

        for kind in chosen_kinds:
            chosen = target(kind)
            if kind == "wrong passage":
                found = foreign_sentence(body)
                if found is None:
                    continue
                sentence, snippet = found
                new = f"{sentence.rstrip('.')} [1]."
                plants.append(Plant(kind, snippet, new))
                if chosen is not None:
                    edits.append((chosen[1], chosen[1], " " + new))
                else:
                    leading.append(new)
                continue
            if kind == "absence cover":
                # a claim dressed as an absence statement, which needs no citation
                new = f"The documents do not name a contact person; {INVENTED_CONTACT} handles the applications."
                plants.append(Plant(kind, INVENTED_CONTACT, new))
                if chosen is not None:
                    edits.append((chosen[1], chosen[1], " " + new))
                else:
                    leading.append(new)
                continue
            if kind == "figure":
                altered = _alter_figure(chosen[2]) if chosen else None
                if altered is not None:
                    new, token = altered
                else:
                    token = INVENTED_AMOUNT
                    base = chosen[2] if chosen else "The EU supports this [1]."
                    new = _with_clause(base, f"with a budget of {token}")
            elif kind == "date":
                token = INVENTED_DATE
                base = chosen[2] if chosen else "Partners can apply [1]."
                new = _with_clause(base, f"by {token}")
            elif kind == "programme":
                token = INVENTED_PROGRAMME
                base = chosen[2] if chosen else "The EU funds such projects [1]."
                new = _with_clause(base, f"through the {token}")
            else:  # a person: once leading the sentence, once inside it with a title
                token = INVENTED_PERSON if len(plants) % 2 == 0 else INVENTED_TITLED_PERSON
                new = f"{token} coordinates this work for the EU [{_first_citation(chosen[2]) if chosen else 1}]."
                if chosen is not None:
                    edits.append((chosen[1], chosen[1], " " + new))
                else:
                    leading.append(new)
                plants.append(Plant(kind, token, new))
                continue
            plants.append(Plant(kind, token, new))
            if chosen is not None:
                edits.append((chosen[0], chosen[1], new))
            else:
                leading.append(new)
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        return " ".join([*leading, text]), plants

    return plant


def foreign_picker(documents: list[Document], min_words: int = 12) -> Callable[[dict[str, Any]], tuple[str, str] | None]:
    """Sentences of the strategy to plant under a wrong citation [1]: from a recommendation,
    objective or focus area other than passage [1] that shares no focus area with it, so passage
    [1] really says something else. Taken in turn, not chosen, so the sample is not cherry-picked."""
    pool: list[tuple[Document, str]] = []
    for doc in documents:
        if doc.metadata.get("kind") not in ("recommendation", "focus_area", "objective"):
            continue
        text = doc.page_content.split(": ", 1)[-1]
        pool += [(doc, text[a:b].strip()) for a, b in split_sentences(text) if len(text[a:b].split()) >= min_words]
    by_title = {_norm(doc.metadata.get("title", "")): doc for doc in documents}
    turn = count()

    def pick(body: dict[str, Any]) -> tuple[str, str] | None:
        sections = prompt_sections(body)
        first = by_title.get(_norm(re.split(r" > | › ", sections[1][0])[-1])) if 1 in sections else None
        areas = set(str(first.metadata.get("focus_areas", "")).split(",")) - {""} if first else set()
        candidates = [
            (doc, sentence) for doc, sentence in pool
            if doc is not first and not areas & set(str(doc.metadata.get("focus_areas", "")).split(","))
        ]
        if not candidates:
            return None
        _, sentence = candidates[next(turn) * 7 % len(candidates)]
        words = sentence.rstrip(".").split()
        return sentence, " ".join(words[2:10])

    return pick


def _first_citation(sentence: str) -> int:
    match = re.search(r"\[(\d+)\]", sentence)
    return int(match.group(1)) if match else 1


# ---- summary and report ---------------------------------------------------------------------


@dataclass
class ReplaySummary:
    cases: int
    reached_model: int
    fallbacks: int
    sentences: int
    kept: int
    removed_by_reason: dict[str, int]
    lost_headings: int
    plants: int = 0
    passed_plants: int = 0
    unsupported_figures: int = 0
    plants_by_kind: dict[str, int] = field(default_factory=dict)
    passed_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def kept_share(self) -> float:
        return self.kept / self.sentences if self.sentences else 0.0

    @property
    def reached_share(self) -> float:
        return self.reached_model / self.cases if self.cases else 0.0


def summarise(results: list[CaseResult]) -> ReplaySummary:
    reasons = Counter(kind for r in results for kind, _ in r.removed)
    return ReplaySummary(
        cases=len(results),
        reached_model=sum(r.reached_model for r in results),
        fallbacks=sum(bool(r.fallback) for r in results if r.reached_model),
        sentences=sum(r.sentences for r in results),
        kept=sum(r.kept for r in results),
        removed_by_reason=dict(reasons.most_common()),
        lost_headings=sum(len(r.lost_headings) for r in results),
        unsupported_figures=sum(len(r.unsupported) for r in results),
        plants=sum(len(r.plants) for r in results),
        passed_plants=sum(len(r.passed_plants) for r in results),
        plants_by_kind=dict(Counter(p.kind for r in results for p in r.plants)),
        passed_by_kind=dict(Counter(p.kind for r in results for p in r.passed_plants)),
    )


def summary_row(label: str, s: ReplaySummary) -> str:
    removed = sum(s.removed_by_reason.values())
    return (
        f"| {label} | {s.reached_model}/{s.cases} | {s.fallbacks} | {s.kept}/{s.sentences} ({s.kept_share:.1%}) "
        f"| {removed} | {', '.join(f'{k} {v}' for k, v in s.removed_by_reason.items()) or '—'} "
        f"| {s.unsupported_figures} |"
    )


def case_lines(results: list[CaseResult]) -> list[str]:
    lines = ["| id | lang | reached | fallback | kept/sentences | removed (reason) |", "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        removed = "; ".join(f"{kind}: {note.split('): ', 1)[-1][:70]}" for kind, note in r.removed) or "—"
        lines.append(
            f"| {r.id} | {r.language} | {'yes' if r.reached_model else 'no'} | {(r.fallback or '—')[:60]} "
            f"| {r.kept}/{r.sentences} | {removed.replace('|', '/')} |"
        )
    return lines
