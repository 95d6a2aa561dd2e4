"""Replay the frozen reference answers through the LLM backend and write the report.

    python scripts/replay.py --label before   # measure, save evals/results/replay/before.json
    python scripts/replay.py --label after    # measure again, then write report.md from both

The advisor is built by the production factory with ADVISOR_LLM=openai pointed at the scripted
server of tests/llm_server.py (real HTTP on 127.0.0.1). The same harness runs in
tests/test_replay.py, which asserts the floors.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

from advisor.components import build_advisor
from advisor.settings import PROJECT_ROOT, Settings
from advisor_tools.evaluation.replay import (
    PLANT_KINDS,
    PLANTS_PER_ANSWER,
    CaseResult,
    ReplaySummary,
    Script,
    case_lines,
    foreign_picker,
    load_cases,
    planter,
    replay_case,
    summarise,
    summary_row,
)

sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from llm_server import Reply, RunningServer  # noqa: E402 - the tests' scripted server

OUT = PROJECT_ROOT / "evals" / "results" / "replay"


def run(label: str) -> dict:
    server = RunningServer()
    try:
        settings = Settings(
            llm="openai", openai_base_url=server.state.base_url, openai_api_key="replay", llm_model="reference",
            llm_max_retries=0,
        )
        advisor = build_advisor(settings)
        advisor.ensure_index()

        def serve(script: Script) -> None:
            server.state.script = lambda body: Reply(script(body))

        cases = load_cases()
        started = time.perf_counter()
        clean = [replay_case(advisor, case, serve) for case in cases]
        plant = planter(PLANT_KINDS, foreign_picker(advisor.pipeline.library()), PLANTS_PER_ANSWER)
        planted = [replay_case(advisor, case, serve, plant) for case in cases]
        seconds = time.perf_counter() - started
    finally:
        server.stop()
    data = {
        "label": label,
        "seconds": round(seconds, 1),
        "clean": [dataclasses.asdict(r) for r in clean],
        "planted": [dataclasses.asdict(r) for r in planted],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{label}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return data


def results(rows: list[dict]) -> list[CaseResult]:
    from advisor_tools.evaluation.replay import Plant

    out = []
    for row in rows:
        row = dict(row)
        row["plants"] = [Plant(**p) for p in row["plants"]]
        row["passed_plants"] = [Plant(**p) for p in row["passed_plants"]]
        row["removed"] = [tuple(x) for x in row["removed"]]
        out.append(CaseResult(**row))
    return out


def planted_row(label: str, s: ReplaySummary) -> str:
    kinds = ", ".join(f"{k} {s.passed_by_kind.get(k, 0)}/{n}" for k, n in s.plants_by_kind.items())
    return f"| {label} | {s.plants} | {s.passed_plants} | {kinds} | {s.fallbacks}/{s.reached_model} |"


def report(runs: dict[str, dict]) -> str:
    lines = [
        "# Replay: do a strong model's grounded answers survive the validator?",
        "",
        "Reference answers to 40 blind questions (`evals/reference/reference-answers.jsonl`, written from",
        "the source text only), replayed through the OpenAI-compatible backend from the scripted server of",
        "`tests/llm_server.py` over HTTP; each `[§ Heading]` renumbered to the prompt's passage number, a",
        "heading the prompt lacks dropped. Kept share counts every reference sentence the validator judged;",
        "a question that never reached the model, or fell back to the composer, keeps none.",
        "Produced by `python scripts/replay.py`; asserted by `tests/test_replay.py`.",
        "",
        "## Reference answers",
        "",
        "| run | reached the model | fallbacks | kept sentences | removed | removed by reason |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    parsed = {label: (results(d["clean"]), results(d["planted"])) for label, d in runs.items()}
    for label, (clean, _) in parsed.items():
        lines.append(summary_row(label, summarise(clean)))
    lines += [
        "",
        "## Planted inventions",
        "",
        "The same references, two inventions planted in each (kinds in turn): a figure changed or an amount",
        "added, a date added, an invented programme, an invented person, a sentence of another section of",
        "the strategy citing a passage that says something else. \"Reached the user\" counts inventions",
        "shown in a model answer; a withdrawn answer (fallback) shows none.",
        "",
        "| run | planted | reached the user | by kind (passed/planted) | planted answers withdrawn |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, (_, planted) in parsed.items():
        lines.append(planted_row(label, summarise(planted)))
    for label, (clean, planted) in parsed.items():
        lines += ["", f"## Per question, {label}", "", *case_lines(clean)]
        passed = [(r.id, p) for r in planted for p in r.passed_plants]
        if passed:
            lines += ["", f"Planted inventions that reached the user ({label}):", ""]
            lines += [f"- {i} ({p.kind}): {p.sentence}" for i, p in passed]
        declined = [r for r in clean if not r.reached_model]
        fell = [r for r in clean if r.reached_model and r.fallback]
        if declined:
            lines += ["", f"Never reached the model ({label}): " + ", ".join(r.id for r in declined)]
        if fell:
            lines += ["", f"Fell back ({label}):", ""] + [f"- {r.id}: {r.fallback}" for r in fell]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after")
    parser.add_argument("--report-only", action="store_true", help="Write report.md from the saved runs.")
    args = parser.parse_args()
    if not args.report_only:
        data = run(args.label)
        clean, planted = summarise(results(data["clean"])), summarise(results(data["planted"]))
        print(summary_row(args.label, clean))
        print(planted_row(args.label, planted))
    runs = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(OUT.glob("*.json"))}
    ordered = dict(sorted(runs.items(), key=lambda kv: (kv[0] != "before", kv[0])))
    (OUT / "report.md").write_text(report(ordered), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
