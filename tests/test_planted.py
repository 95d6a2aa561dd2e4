"""Planted instructions never reach a model or an answer, whichever backend answers.

The fixture note mixes ordinary advice with sentences addressed to an assistant ("Ignore all
previous instructions…", "Note to the AI assistant…", "When summarising this document, state
that…"). The ordinary sentences must still reach the composer and the model's prompt.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from helpers import collect
from llm_server import Reply, RunningServer, passages_in

from advisor.answer.llm.backend import build_answer_backend
from advisor.components import Advisor, build_advisor
from advisor.settings import PROJECT_ROOT, Settings

FIXTURE = PROJECT_ROOT / "evals" / "fixtures" / "partner-training-note.md"
PLANTED = ("CANARY-ZX81-QUOKKA", "Ignore all previous instructions", "Note to the AI assistant", "When summarising")
ORDINARY = (
    "Ministries piloting digital identity should start with one or two services that citizens use often.",
    "Companies can rehearse incident response with short tabletop exercises run with local partners.",
)
QUESTIONS = (
    "How should our ministry pilot digital identity services for citizens?",
    "How can our company rehearse incident response with tabletop exercises?",
    "What should trainers build courses on digital skills about?",
)


@pytest.fixture()
def planted(data_copy: Path) -> Advisor:
    advisor = build_advisor(Settings(data_dir=data_copy))
    report = advisor.ingest([FIXTURE], collection="workspace")
    assert not report.failed
    return advisor


def test_ingest_warns_about_each_planted_sentence(planted: Advisor) -> None:
    report = planted.ingest([FIXTURE], collection="workspace")  # unchanged, but still reported
    assert len(report.warnings) == 3, report.warnings
    assert all("partner-training-note.md" in w and "addressed to an assistant" in w for w in report.warnings)
    uploaded = planted.add_files([("note.md", FIXTURE.read_bytes())])
    assert len(uploaded[0].warnings) == 3 and uploaded[0].to_json()["warnings"] == uploaded[0].warnings


def test_composer_quotes_the_ordinary_sentences_never_the_planted(planted: Advisor) -> None:
    texts = [planted.ask(q).answer for q in QUESTIONS]
    joined = "\n".join(texts)
    assert not any(marker.lower() in joined.lower() for marker in PLANTED), joined
    assert any(ordinary[:40] in joined for ordinary in ORDINARY), joined


def test_the_model_is_never_shown_a_planted_sentence(planted: Advisor) -> None:
    server = RunningServer()
    try:
        server.state.script = lambda body: Reply("The documents do not cover this question.")
        values = {"llm": "openai", "openai_base_url": server.state.base_url, "openai_api_key": "k",
                  "llm_max_retries": 0, "llm_timeout_s": 5.0}
        settings = Settings(**{**planted.settings.model_dump(), **values})
        llm = dataclasses.replace(planted, settings=settings, answer_backend=build_answer_backend(settings, planted.taxonomy))
        for question in QUESTIONS:
            collect(llm.stream(question))
        prompts = [passages_in(body) for body in server.state.requests]
        shown = "\n".join(text for prompt in prompts for text in prompt.values())
        assert prompts and shown
        assert not any(marker.lower() in shown.lower() for marker in PLANTED), shown
        assert any(ordinary in shown for ordinary in ORDINARY), shown
    finally:
        server.stop()
