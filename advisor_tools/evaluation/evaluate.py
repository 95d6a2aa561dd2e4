"""One eval run end to end: build indexes in a scratch folder, run the golden set through the
advisor and the naive pipeline, score, write the results folder and compare with the baseline."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from advisor.settings import PROJECT_ROOT, Settings
from advisor_tools.evaluation.golden import load_golden, load_readers
from advisor_tools.evaluation.metrics import add_retrieval_scores, by_group, summarise
from advisor_tools.evaluation.report import chart, compare, markdown, read_jsonl, weakest_cases, write_jsonl
from advisor_tools.evaluation.runner import build_context, run_cases


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT,
                             timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run_evaluation(
    settings: Settings,
    *,
    backend: str = "none",
    run_name: str | None = None,
    out_dir: Path | None = None,
    baseline_dir: Path | None = None,
    include_naive: bool = True,
    judge: bool = False,
    every: int = 1,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]] | None, Path]:
    """Returns the summary, the comparison with the baseline (None without one) and the run folder.
    `every` > 1 runs cases 1, 1+every, ... of the golden file: a sample spread over its categories."""
    readers = load_readers(settings.eval_persona_clarity_file, settings.eval_golden_file.stem)
    cases = load_golden(settings.eval_golden_file, readers)[::every]
    run_name = run_name or time.strftime("%Y%m%d-%H%M%S")
    target = (out_dir or settings.eval_results_dir) / run_name
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="advisor-eval-") as scratch:
        from advisor_tools.evaluation.judge import build_judge

        llm_judge = build_judge(settings) if judge else None
        ctx = build_context(settings, Path(scratch), backend, include_naive, llm_judge)
        rows, naive_rows = run_cases(ctx, cases, progress)
    add_retrieval_scores(rows)
    summary: dict[str, Any] = {
        "run": run_name,
        "backend": rows[0]["backend"] if rows else backend,
        "golden": str(settings.eval_golden_file.relative_to(PROJECT_ROOT))
        if settings.eval_golden_file.is_relative_to(PROJECT_ROOT) else str(settings.eval_golden_file),
        "commit": _git_commit(),
        "sample": f"every {every}th case" if every > 1 else "all cases",
        "follow_up_mode": ctx.follow_up_mode,
        "metrics": summarise(rows),
        "by_category": by_group(rows, "category"),
        "by_persona": by_group(rows, "persona"),
        "by_language": by_group(rows, "language"),
        "build_seconds": ctx.build_seconds,
        "model_outcomes": dict(Counter(row["model_outcome"] for row in rows)),
    }
    answered, fell_back = summary["model_outcomes"].get("answered", 0), summary["model_outcomes"].get("fallback", 0)
    if answered + fell_back:
        # Of the answers the model was asked for, the share that passed the validator and was shown.
        summary["model_pass_rate"] = round(answered / (answered + fell_back), 3)
    if naive_rows:
        add_retrieval_scores(naive_rows)
        summary["naive"] = {
            "metrics": summarise(naive_rows),
            "by_category": by_group(naive_rows, "category"),
            "by_persona": by_group(naive_rows, "persona"),
            "chunks": ctx.naive.chunks if ctx.naive else 0,
        }
    summary["seconds"] = round(time.perf_counter() - started, 2)
    comparison = None
    baseline_dir = baseline_dir if baseline_dir is not None else settings.eval_results_dir / "baseline"
    if (baseline_dir / "summary.json").exists() and baseline_dir.resolve() != target.resolve():
        baseline = json.loads((baseline_dir / "summary.json").read_text(encoding="utf-8"))
        base_rows = read_jsonl(baseline_dir / "cases.jsonl") if (baseline_dir / "cases.jsonl").exists() else []
        comparison = compare(summary, baseline, rows, base_rows)
        if baseline.get("golden") != summary["golden"]:
            comparison["note"] = [f"the baseline ran a different golden set ({baseline.get('golden')})"]
        summary["baseline"] = {"run": baseline.get("run"), "commit": baseline.get("commit")}
    (target / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_jsonl(target / "cases.jsonl", rows)
    if naive_rows:
        write_jsonl(target / "naive_cases.jsonl", naive_rows)
    chart(summary, target / "chart.png")
    (target / "report.md").write_text(markdown(summary, comparison, weakest_cases(rows)), encoding="utf-8")
    return summary, comparison, target
