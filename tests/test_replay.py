"""A strong model's grounded answer must survive the validator; an invented one must not (issue 12.7).

Reference answers to 40 blind questions, written from the source text alone by someone who never
saw the code (evals/reference/), are replayed through the OpenAI-compatible backend from the
scripted server of tests/llm_server.py over real HTTP: each `[§ Heading]` citation becomes the
number the prompt gave that section. The same references are replayed again with planted
inventions — a changed figure, an invented date, programme and person, a strategy sentence
citing a passage that says something else — and none may reach the user.
The figures the assertions hold are written to evals/results/replay/report.md by
scripts/replay.py, with the same harness (advisor_tools/evaluation/replay.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator

import pytest
from llm_server import Reply, RunningServer

from advisor.answer.llm.backend import build_answer_backend
from advisor.components import Advisor
from advisor.settings import Settings
from advisor_tools.evaluation.replay import (
    PLANT_KINDS,
    PLANTS_PER_ANSWER,
    REFERENCE_FILE,
    CaseResult,
    Script,
    foreign_picker,
    load_cases,
    planter,
    renumber,
    replay_case,
    sentence_count,
    shows,
    summarise,
)

# The file as copied from the blind writer: any edit to it must fail here (evals/reference/README.md).
REFERENCE_SHA256 = "ab39a3c218b687ed179512ada2f15bb57561fc513da5d1c61d9e0732f13d61bf"
MIN_KEPT_SHARE = 0.90  # of every reference sentence, questions the model never saw included
MIN_REACHED_SHARE = 0.90  # questions that reach the model (the scope decision declines the rest)
MAX_FALLBACKS = 1
MIN_PLANTS_PER_KIND = 10
MIN_PLANTED_ANSWERED_SHARE = 0.75


# ---- pure logic -------------------------------------------------------------------------------


def test_reference_answers_are_frozen_and_complete() -> None:
    data = REFERENCE_FILE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == REFERENCE_SHA256
    cases = load_cases()
    assert len(cases) == 40 and len({c.id for c in cases}) == 40
    assert all(c.question and "[§ " in c.answer for c in cases)
    assert {c.language for c in cases} == {"en", "fr", "es", "pt", "de", "ar"}


def prompt(*sections: tuple[str, str]) -> dict:
    blocks = "\n\n".join(f"[{n}] {header}\n{text}" for n, (header, text) in enumerate(sections, start=1))
    return {"messages": [{"role": "user", "content": f"Passages:\n\n{blocks}\n\nQuestion: q"}]}


SECTIONS = prompt(
    ("Recommendations for Businesses > Invest in Secure and Resilient Digital Infrastructure",
     "Invest in Secure and Resilient Digital Infrastructure: Companies should prioritize security."),
    ("Key Objectives > Summary of the Strategy", "Summary of the Strategy: In summary, the strategy is broad."),
)


def test_renumber_maps_headings_to_the_prompts_numbers_and_drops_the_rest() -> None:
    from advisor_tools.evaluation.replay import prompt_sections

    sections = prompt_sections(SECTIONS)
    text, lost, _ = renumber(
        "Firms should prioritize security [§ Invest in Secure and Resilient Digital Infrastructure]. "
        "It is broad [§ In summary; § Introduction]. The EU unveiled it in June [§ Introduction].",
        sections,
    )
    assert text == "Firms should prioritize security [1]. It is broad [2]. The EU unveiled it in June."
    assert lost == ["Introduction", "Introduction"]


def test_sentences_are_counted_as_the_validator_splits_them() -> None:
    text = "Lead-in that lists:\n**Actions to take**\n1. Do this [1]. Then that [2].\n\nThe documents do not give a date."
    assert sentence_count(text) == 3


def test_planter_plants_every_kind_where_only_the_invention_is_wrong() -> None:
    text = (
        "Firms should invest in secure networks for partner countries [1]. They should also join EU-backed "
        "consortia to lay undersea cables [2]. Security standards matter for future projects [1]. "
        "On 5 June 2025 the EU presented the strategy to its partners [2]. Partners can apply to calls for proposals [1]. "
        "Firms can also form consortia to bid for these projects [1]."
    )
    plant = planter(PLANT_KINDS, lambda body: ("A sentence of another section about online platforms.", "of another section"))
    planted, plants = plant(text, SECTIONS)
    assert [p.kind for p in plants] == list(PLANT_KINDS)
    assert all(shows(planted, p.token) for p in plants)
    assert "On 5 June 2028" in planted and "2025" not in planted  # the year changed, nothing else
    assert planted.startswith("Firms should")  # each invention sits in, or after, a cited sentence


# ---- the replay, over real HTTP -----------------------------------------------------------------


@pytest.fixture(scope="module")
def llm() -> Iterator[RunningServer]:
    server = RunningServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def replayed(advisor: Advisor, llm: RunningServer) -> dict[str, list[CaseResult]]:
    """Every reference replayed, clean and with planted inventions, through the production factory."""
    values = {"llm": "openai", "openai_base_url": llm.state.base_url, "openai_api_key": "replay",
              "llm_model": "reference", "llm_max_retries": 0}
    settings = Settings(**{**advisor.settings.model_dump(), **values})
    backend = build_answer_backend(settings, advisor.taxonomy, advisor.retriever.multilingual)
    replaying = dataclasses.replace(advisor, settings=settings, answer_backend=backend)

    def serve(script: Script) -> None:
        llm.state.script = lambda body: Reply(script(body))

    cases = load_cases()
    clean = [replay_case(replaying, case, serve) for case in cases]
    plant = planter(PLANT_KINDS, foreign_picker(replaying.pipeline.library()), PLANTS_PER_ANSWER)
    planted = [replay_case(replaying, case, serve, plant) for case in cases]
    return {"clean": clean, "planted": planted}


def test_a_strong_models_grounded_answers_survive_the_validator(replayed: dict[str, list[CaseResult]]) -> None:
    summary = summarise(replayed["clean"])
    removed = [f"{r.id} {kind}: {note}" for r in replayed["clean"] for kind, note in r.removed]
    assert summary.kept_share >= MIN_KEPT_SHARE, removed
    assert summary.reached_share >= MIN_REACHED_SHARE
    assert summary.fallbacks <= MAX_FALLBACKS, [r.fallback for r in replayed["clean"] if r.fallback]
    assert summary.lost_headings == 0  # the model is shown every section a grounded answer cites


def test_no_kept_sentence_states_a_figure_its_citations_lack(replayed: dict[str, list[CaseResult]]) -> None:
    """Checked on the final answers, apart from the validator: every figure or month in a model's
    answer is in a passage it cites or in the question (an absence statement may repeat it)."""
    assert summarise(replayed["clean"]).unsupported_figures == 0, [
        (r.id, r.unsupported) for r in replayed["clean"] if r.unsupported
    ]


def test_no_planted_invention_reaches_the_user(replayed: dict[str, list[CaseResult]]) -> None:
    summary = summarise(replayed["planted"])
    reached = [r for r in replayed["planted"] if r.reached_model]
    assert set(summary.plants_by_kind) == set(PLANT_KINDS)
    assert min(summary.plants_by_kind.values()) >= MIN_PLANTS_PER_KIND
    passed = [(r.id, p.kind, p.sentence) for r in replayed["planted"] for p in r.passed_plants]
    assert passed == []
    # the planted answers are still the model's (each invention removed on its own), so this is
    # not passing merely because whole answers were withdrawn
    assert sum(not r.fallback for r in reached) >= MIN_PLANTED_ANSWERED_SHARE * len(reached)
