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


NOTES = """
## What changed between the runs (classes of failure, not sentences)

`before` is `main` (commit 8b23787) measured with this harness; `after` is branch `replay`. The
sentence totals differ (209 / 215) because `main`'s validator merged some sentences: after a bold
label (`[1]. **Online platforms:** …`) or a German ordinal date (`am 5. Juni`), and it split at
`z. B.`.

- **The scope decision gates the model, not the composer** (1 question more reaches the model).
  The 3 still declined are declined by the evidence-based scope decision itself (platform
  feeds, power-grid systems, "what's in it for businesses and governments"); tuning it on blind
  questions is not done here.
- **The model sees the sections a grounded answer cites** (65 removals before): the passages the
  composer cites (an overview's every item), then the best `LLM_TOP_K` of retrieval, then the rest
  of the strategy within `LLM_CONTEXT_TOKENS` (the strategy is ~5k tokens; a local model keeps its
  smaller budget). A list intro is shown, and cited, with its items' titles.
- **Absence statements need no citation** in every supported language ("It does not name …",
  "The summary says nothing …", "Le résumé ne mentionne pas …", German verb-final), but only when
  every clause is an absence: a contrasting clause (", but …") or a second clause that is not
  ("…; Amara Okafor handles the applications") makes it a claim, checked like any other. Their
  figures and names must be in the passages or the question (the asker's own "500 million").
  `main` took any sentence opening "The documents do not …" as a decline and checked only its
  figures: 21 of 36 planted contacts dressed as absences reached the user.
- **Names in the asker's language and spelled-out acronyms** (23 removals before): `UE`, `RGPD`,
  `Ley de Servicios Digitales` (knowledge/names.yaml), GDPR for "General Data Protection
  Regulation", MoUs, PPP for "public-private partnership", `EU-backed`, `IDs`. Names at a
  sentence's start are now checked too ("Marta Kovalenko coordinates …").
- **Dates in the asker's language**: month names of every language, English ones only
  capitalised ("may support" is no month); Arabic-Indic digits.
- **Meaning instead of word overlap for paraphrases and translations**: the closest cited sentence
  must be ≥ 0.80 similar (multilingual-e5) and no other passage closer by more than 0.04. Faithful
  reference sentences sat 0.00-0.02 (one at 0.06) from the best match in the whole strategy; a
  sentence of another section cited to the wrong passage sat 0.09-0.14 closer to its real
  source, with absolute similarities of 0.85-0.92 that the old fixed 0.88 partly let through:
  the 9 planted sentences that reached the user in `before` passed at 0.88-0.92, and the same 9
  sentences in the same answers are removed now (their real source at 0.98-1.00).
  The two thresholds were set from this replay's own distributions (references and plants), so
  they are a measurement on these 40 answers, not a held-out result.
- **A citation without a full stop ends a sentence** before a capitalised word: a planted
  sentence placed after a list item with no final period passed during this work on the list
  item's citation (the two were checked as one sentence).

Still removed in `after`: two German sentences in which two capitalised nouns in a row read as a
name (German capitalises every noun); a check for German names needs a German lexicon.
"""


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
        # every (question, kind) pair once: one invention per answer, the kinds in turn, as many
        # passes as there are kinds (the test plants PLANTS_PER_ANSWER at a time, in one pass)
        planted = []
        for offset in range(len(PLANT_KINDS)):
            plant = planter(PLANT_KINDS, foreign_picker(advisor.pipeline.library()), 1, offset)
            planted += [replay_case(advisor, case, serve, plant) for case in cases]
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
        "| run | reached the model | fallbacks | kept sentences | removed | removed by reason "
        "| figures shown that their citations lack |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    parsed = {label: (results(d["clean"]), results(d["planted"])) for label, d in runs.items()}
    for label, (clean, _) in parsed.items():
        lines.append(summary_row(label, summarise(clean)))
    lines += [
        "",
        "## Planted inventions",
        "",
        "The same references, each replayed once per kind with one invention planted: a figure changed or",
        "an amount added, a date added, an invented programme, an invented person, a sentence of another",
        "section of the strategy citing a passage that says something else, and an invented contact",
        "dressed as an absence statement (\"The documents do not name a contact person; X handles the",
        "applications.\"). \"Reached the user\" counts inventions shown in a model answer; a withdrawn",
        "answer (fallback) shows none, so the last column says how many planted answers were withdrawn.",
        "",
        "| run | planted | reached the user | by kind (passed/planted) | planted answers withdrawn |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, (_, planted) in parsed.items():
        lines.append(planted_row(label, summarise(planted)))
    lines += ["", *NOTES.strip("\n").splitlines()]
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
