"""The optional LLM judge, against a real OpenAI-compatible HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import run_cli
from llm_server import Reply, RunningServer

from advisor.evaluation.judge import build_judge
from advisor.settings import Settings


@pytest.fixture(scope="module")
def llm() -> Iterator[RunningServer]:
    server = RunningServer()
    yield server
    server.stop()


def test_judge_sends_passages_and_statements_and_reads_verdicts(llm, tmp_path):
    llm.state.script = lambda body: Reply("1: yes\n2: NO\n")
    settings = Settings(data_dir=tmp_path, llm="openai", openai_base_url=llm.state.base_url, openai_api_key="k",
                        llm_model="judge-model", llm_max_retries=0)
    judge = build_judge(settings)
    passage = "Governments should adopt the EU's 5G security Toolbox guidelines."
    verdicts = judge.verdicts(["Adopt the 5G Toolbox.", "The EU pays 40% of the cost."], [passage])
    assert verdicts == [True, False]
    sent = llm.state.requests[-1]
    prompt = "\n".join(m["content"] for m in sent["messages"])
    assert passage in prompt and "2. The EU pays 40% of the cost." in prompt
    assert sent["model"] == "judge-model"


def test_judge_reply_missing_a_verdict_is_none(llm, tmp_path):
    llm.state.script = lambda body: Reply("1: yes")
    settings = Settings(data_dir=tmp_path, llm="openai", openai_base_url=llm.state.base_url, openai_api_key="k")
    assert build_judge(settings).verdicts(["a", "b"], ["p"]) == [True, None]


def test_judge_is_never_on_without_an_llm(tmp_path):
    result = run_cli(["eval", "--judge", "--no-naive"], tmp_path)
    assert result.returncode == 2
    assert "--judge needs an LLM" in result.stderr
