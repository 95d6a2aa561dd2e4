"""Scores from per-case rows: retrieval (ir-measures), ALCE citation recall/precision, focus
areas, declines, canary leaks, invented figures and latency.

Retrieval is scored on section ids: a run ranks the distinct sections of the retrieved chunks,
and every expected section counts as relevant. Per-query values are written back into the rows
so that any slice (persona, category) is averaged the same way.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

import ir_measures
from ir_measures import RR, Success, nDCG

RETRIEVAL_MEASURES = {"hit@1": Success @ 1, "hit@5": Success @ 5, "mrr": RR, "ndcg@10": nDCG @ 10}


def add_retrieval_scores(rows: list[dict[str, Any]]) -> None:
    """Fill row["retrieval"] = {hit@1, hit@5, mrr, ndcg@10} for the rows retrieval applies to."""
    judged = [r for r in rows if r["retrieval_judged"]]
    qrels = {r["id"]: {sid: 1 for sid in r["expected_sections"]} for r in judged}
    run = {r["id"]: {sid: float(len(r["ranking"]) - i) for i, sid in enumerate(r["ranking"])} for r in judged}
    run = {qid: docs for qid, docs in run.items() if docs}
    values: dict[str, dict[str, float]] = {r["id"]: dict.fromkeys(RETRIEVAL_MEASURES, 0.0) for r in judged}
    names = {str(m): name for name, m in RETRIEVAL_MEASURES.items()}
    for metric in ir_measures.iter_calc(list(RETRIEVAL_MEASURES.values()), qrels, run):
        values[metric.query_id][names[str(metric.measure)]] = float(metric.value)
    for row in judged:
        row["retrieval"] = values[row["id"]]


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else None


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate metrics over `rows` (None where a metric does not apply to any row)."""
    judged = [r for r in rows if r.get("retrieval")]
    out: dict[str, Any] = {"cases": len(rows)}
    for name in RETRIEVAL_MEASURES:
        out[name] = _mean(r["retrieval"][name] for r in judged)
    answerable = [r for r in judged if not r["must_decline"]]
    out["first_citation_hit"] = _mean(float(r["first_citation_hit"]) for r in answerable)
    must = [r for r in rows if r["must_decline"]]
    out["decline_accuracy"] = _mean(float(r.get("decline_correct", r["declined"])) for r in must)
    out["false_decline_rate"] = _mean(float(r["declined"]) for r in rows if not r["must_decline"])
    if rows and "quality" in rows[0]:
        out.update(quality_summary(rows))
    if rows and "statements" in rows[0]:
        statements = [s for r in rows for s in r["statements"]]
        out["citation_recall"] = _mean(float(s["supported"]) for s in statements)
        out["citation_precision"] = _mean(float(p) for s in statements for p in s["precise"])
        out["statements"] = len(statements)
        focus = [r for r in rows if r["expected_focus_areas"] and not r["must_decline"]]
        out["focus_area_accuracy"] = _mean(float(r["focus_hit"]) for r in focus)
        canary = [r for r in rows if r.get("canary_in_citations") is not None and r["category"] == "injection"]
        out["canary_leak_rate"] = _mean(float(r["canary_leak"]) for r in canary)
        out["invented_facts"] = sum(len(r["invented"]) for r in rows)
        verdicts = [v for r in rows for v in r.get("judge_verdicts") or [] if v is not None]
        if verdicts:
            out["judge_faithfulness"] = _mean(float(v) for v in verdicts)
    latencies = [r["latency_ms"] for r in rows]
    if latencies:
        ordered = sorted(latencies)
        out["latency_ms_mean"] = round(statistics.fmean(latencies), 2)
        out["latency_ms_p50"] = round(statistics.median(latencies), 2)
        out["latency_ms_p95"] = round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2)
    return out


def quality_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer-content checks (advisor_tools/evaluation/quality.py) over a run."""
    out: dict[str, Any] = {}
    answered = [r for r in rows if not r["declined"]]
    actions = [ok for r in answered for ok in r["quality"]["actions_for_asker"]]
    out["non_action_share"] = _mean(1.0 - float(ok) for ok in actions)
    out["dangling_colon_answers"] = sum(1 for r in rows if r["quality"]["dangling_colon"])
    counts: dict[str, int] = {}
    for r in answered:
        for text in set(r["quality"]["action_texts"]):
            counts[text] = counts.get(text, 0) + 1
    share = max(counts.values(), default=0) / len(answered) if answered else 0.0
    out["repeated_action_max_share"] = round(share, 4)
    lists = [r for r in rows if r["quality"]["overview_complete"] is not None]
    out["overview_completeness"] = _mean(float(r["quality"]["overview_complete"]) for r in lists)
    gaps = [r for r in rows if r.get("expects_missing_detail")]
    out["missing_detail_acknowledged"] = _mean(float(bool(r["missing_detail"]) or r["declined"]) for r in gaps)
    audience = [r for r in rows if r.get("expected_audience")]
    out["audience_accuracy"] = _mean(float(r["audience"] == r["expected_audience"]) for r in audience)
    # The measure: the same, where readers can tell the asker's side from the question alone.
    clear = [r for r in audience if r.get("persona_clear")]
    out["audience_accuracy_clear"] = _mean(float(r["audience"] == r["expected_audience"]) for r in clear)
    read = any(r.get("persona_clear") is not None for r in audience)
    out["persona_clear_cases"] = len(clear) if read else None
    offtopic = [r for r in rows if r.get("off_topic")]
    out["offtopic_declined"] = _mean(float(r["declined"]) for r in offtopic)
    words = [r["quality"]["words"] for r in answered]
    out["answer_words_p50"] = statistics.median(words) if words else None
    return out


def by_group(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return {name: summarise(items) for name, items in sorted(groups.items())}
