"""Write an eval run to disk (summary JSON, per-case JSON Lines, Markdown report with a PNG
chart) and compare it with the committed baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Higher is better for these; for the rest (leaks, invented facts, latency, false declines) lower is.
HIGHER_IS_BETTER = (
    "hit@1", "hit@5", "mrr", "ndcg@10", "first_citation_hit", "decline_accuracy", "citation_recall",
    "citation_precision", "focus_area_accuracy",
)
LOWER_IS_BETTER = ("false_decline_rate", "canary_leak_rate", "invented_facts")
TABLE_METRICS = (*HIGHER_IS_BETTER, *LOWER_IS_BETTER, "latency_ms_mean", "judge_faithfulness")
CHART_METRICS = ("hit@1", "hit@5", "first_citation_hit", "decline_accuracy", "citation_precision")


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def compare(current: dict[str, Any], baseline: dict[str, Any], current_rows: list[dict[str, Any]],
            baseline_rows: list[dict[str, Any]], tolerance: float = 1e-9) -> dict[str, list[str]]:
    """What got better or worse: overall metrics, per-category metrics, and cases that flipped."""
    better: list[str] = []
    worse: list[str] = []

    def diff(scope: str, now: dict[str, Any], then: dict[str, Any]) -> None:
        for name in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER):
            a, b = now.get(name), then.get(name)
            if a is None or b is None or abs(a - b) <= tolerance:
                continue
            up = a > b if name in HIGHER_IS_BETTER else a < b
            (better if up else worse).append(f"{scope}{name}: {b} -> {a}")

    diff("", current["metrics"], baseline.get("metrics", {}))
    for group in ("by_category", "by_persona"):
        for name, now in current.get(group, {}).items():
            diff(f"{group[3:]}={name} ", now, baseline.get(group, {}).get(name, {}))
    then_rows = {r["id"]: r for r in baseline_rows}
    for row in current_rows:
        old = then_rows.get(row["id"])
        if old is None:
            continue
        for flag in ("decline_correct", "first_citation_hit"):
            if flag in old and old[flag] != row[flag]:
                (better if row[flag] else worse).append(f"case {row['id']}: {flag} {old[flag]} -> {row[flag]}")
        old_hit = (old.get("retrieval") or {}).get("hit@1")
        new_hit = (row.get("retrieval") or {}).get("hit@1")
        if old_hit is not None and new_hit is not None and old_hit != new_hit:
            (better if new_hit > old_hit else worse).append(f"case {row['id']}: hit@1 {old_hit} -> {new_hit}")
    return {"better": better, "worse": worse}


def chart(summary: dict[str, Any], path: Path) -> None:
    """Grouped bars of the key scores by persona and by category."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [1, 2.4]})
    for ax, group in zip(axes, ("by_persona", "by_category")):
        names = list(summary[group])
        width = 0.8 / len(CHART_METRICS)
        for i, metric in enumerate(CHART_METRICS):
            values = [summary[group][n].get(metric) for n in names]
            xs = [j + i * width for j in range(len(names))]
            ax.bar(xs, [v if v is not None else 0 for v in values], width, label=metric)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))], names, rotation=30, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_title(group.replace("_", " "))
    axes[1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(value: Any) -> str:
    return "n/a" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def markdown(summary: dict[str, Any], comparison: dict[str, list[str]] | None, weakest: list[str]) -> str:
    m, naive = summary["metrics"], summary.get("naive", {}).get("metrics", {})
    lines = [
        f"# Evaluation run `{summary['run']}`",
        "",
        f"Backend: `{summary['backend']}` · cases: {m['cases']} ({summary.get('sample', 'all cases')}) · "
        f"golden set: `{summary['golden']}` · "
        f"follow-ups: {summary['follow_up_mode']}",
        "",
        *(
            [f"Model answers shown after validation: {summary['model_pass_rate']:.3f} "
             f"(outcomes: {summary.get('model_outcomes')})", ""]
            if "model_pass_rate" in summary else []
        ),
        "## Advisor vs naive LangChain pipeline",
        "",
        "The naive pipeline: RecursiveCharacterTextSplitter 1000/200 over the same knowledge document, the same "
        "MiniLM embeddings, langchain_chroma.Chroma, k=5; each chunk is scored as the section it overlaps most. "
        "It has no decline logic, so it answers every question.",
        "",
        "| metric | advisor | naive |",
        "|---|---|---|",
    ]
    for name in TABLE_METRICS:
        lines.append(f"| {name} | {_fmt(m.get(name))} | {_fmt(naive.get(name)) if naive else 'n/a'} |")
    lines += ["", "![scores by persona and category](chart.png)", ""]
    for group in ("by_category", "by_persona"):
        lines += [f"## {group.replace('_', ' ').capitalize()}", "",
                  "| " + " | ".join(["group", *CHART_METRICS, "hit@1 (naive)"]) + " |",
                  "|" + "---|" * (len(CHART_METRICS) + 2)]
        for name, row in summary[group].items():
            naive_row = summary.get("naive", {}).get(group, {}).get(name, {})
            cells = [name, *(_fmt(row.get(k)) for k in CHART_METRICS), _fmt(naive_row.get("hit@1"))]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Weakest cases", ""] + ([f"- {w}" for w in weakest] or ["- none"]) + [""]
    if comparison is not None:
        lines += ["## Compared with the baseline", ""]
        lines += [f"- better: {b}" for b in comparison["better"]] or ["- nothing better"]
        lines += [f"- worse: {w}" for w in comparison["worse"]] or ["- nothing worse"]
        lines.append("")
    lines += [
        "## How the citation support check works",
        "",
        "ALCE-style: an action or key point is *supported* (citation recall) when its cited passages together "
        "contain it (quote match after normalising case, quotes and spaces) or paraphrase it (most of its content "
        "terms present, every figure present, and a close-enough sentence embedding); a citation is *precise* when "
        "it supports the statement alone or removing it breaks the support. Blind spots: quotes out of context, "
        "negation flips with overlapping terms, faithful paraphrases with new wording (under-counted), and "
        "relevance to the question (covered by the retrieval metrics). See advisor/evaluation/support.py.",
        "",
    ]
    return "\n".join(lines)


def weakest_cases(rows: list[dict[str, Any]], limit: int = 40) -> list[str]:
    """Cases that failed a check, most telling failures first."""
    out = []
    for row in rows:
        problems = []
        if not row["decline_correct"]:
            problems.append("wrongly declined" if row["declined"] else "should have declined")
        if row.get("retrieval") and row["retrieval"]["hit@1"] < 1:
            problems.append(f"top section {row['ranking'][:1]} not in {row['expected_sections']}")
        if row.get("canary_leak"):
            problems.append("CANARY LEAKED")
        if row.get("invented"):
            problems.append(f"invented {row['invented']}")
        if problems:
            out.append(f"`{row['id']}` ({row['category']}): {row['question']} — " + "; ".join(problems))
    return out[:limit] if limit else out
