"""The optional LLM judge, against a real OpenAI-compatible HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from conftest import run_cli
from llm_server import Reply, RunningServer

from advisor.settings import PROJECT_ROOT, Settings
from advisor_tools.evaluation.judge import build_judge


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


def test_eval_of_an_llm_backend_reports_how_often_the_model_passed_validation(llm, tmp_path):
    """Three golden cases through a scripted model: one faithful answer, one citing nothing
    (withdrawn, composer shown), one off-topic (the model is never asked)."""
    from test_llm_backend import good_answer

    golden = tmp_path / "golden.jsonl"
    lines = [line for line in (PROJECT_ROOT / "evals" / "golden.jsonl").read_text(encoding="utf-8").splitlines()
             if json.loads(line)["id"] in ("biz-partnerships-1", "biz-partnerships-2")]
    lines.append(json.dumps({"id": "off-1", "persona": "sme", "category": "out-of-scope",
                             "question": "What is a good recipe for lasagne?", "expected_sections": [],
                             "expected_focus_areas": [], "must_decline": True}))
    golden.write_text("\n".join(lines) + "\n", encoding="utf-8")
    answers = iter([good_answer, lambda body: re.sub(r" \[\d+\]", "", good_answer(body))])  # 2nd: no citations
    llm.state.script = lambda body: Reply(next(answers)(body))
    result = run_cli(["eval", "--backend", "openai", "--golden", str(golden), "--no-naive", "--run", "llm",
                      "--out", str(tmp_path / "runs")], tmp_path / "data", timeout=300,
                     OPENAI_BASE_URL=llm.state.base_url, ADVISOR_LLM_MODEL="scripted", ADVISOR_LLM_MAX_RETRIES="0")
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "runs" / "llm" / "summary.json").read_text(encoding="utf-8"))
    assert summary["model_outcomes"] == {"answered": 1, "fallback": 1, "not_asked": 1}
    assert summary["model_pass_rate"] == 0.5
    assert "Model answers shown after validation: 0.500" in (tmp_path / "runs" / "llm" / "report.md").read_text()
