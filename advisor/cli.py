"""`advisor` command line: ingest, ask, plan, serve. Errors are one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.query.audience import AUDIENCES

if TYPE_CHECKING:
    from pydantic import ValidationError

    from advisor.answer.events import AnswerStream

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a command whose reader left


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisor", description="Cited answers about the EU International Digital Strategy."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="Ingest files or folders (default: the shipped knowledge base).")
    ingest.add_argument("paths", nargs="*", type=Path, help="Files, folders or quoted globs ('docs/**/*.pdf').")
    ingest.add_argument(
        "--collection", help="Target collection (default: the workspace for given paths, the strategy without)."
    )

    documents = sub.add_parser("documents", help="List ingested documents.")
    documents.add_argument("--collection", help="Only this collection.")
    documents.add_argument("--json", action="store_true")

    delete = sub.add_parser("delete", help="Delete an ingested document by id.")
    delete.add_argument("doc_id")
    delete.add_argument("--collection", help="Collection holding it (default: the workspace).")

    ask = sub.add_parser("ask", help="Ask a question.")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--audience", choices=[*AUDIENCES, "auto"], default="auto")
    ask.add_argument("--json", action="store_true", help="Print the answer as JSON.")
    ask.add_argument("--file", type=Path, help="Ask every line of this file (one JSON object per line).")
    ask.add_argument("--collection", action="append", help="Search only this collection (repeatable).")
    ask.add_argument("--doc", action="append", dest="doc_ids", help="Search only this document id (repeatable).")

    plan = sub.add_parser("plan", help="A cited action plan: steps quoted from the strategy, foundations first.")
    plan.add_argument("--audience", choices=["business", "government"], required=True)
    plan.add_argument("--focus", default="all",
                      help="Comma list of focus-area ids or short names (dpi, cybersecurity, governance, funding, "
                           "partnerships, ...; see knowledge/plan.yaml); default: all.")
    plan.add_argument("--format", choices=["md", "docx", "pdf"], default="md",
                      help="md prints to stdout unless -o is given; docx and pdf write a file.")
    plan.add_argument("-o", "--output", type=Path, help="Write the plan here.")
    plan.add_argument("--json", action="store_true", help="Print the plan as JSON (as POST /api/plan returns it).")
    plan.add_argument("--language", default="en", help="Language of the headings: en, fr, es, pt, de, ar.")
    plan.add_argument("--sector", default="", help="Profile (business): your sector; only chooses and orders steps.")
    plan.add_argument("--size", default="", help="Profile (business): your size, e.g. startup or SME.")
    plan.add_argument("--institution", default="", help="Profile (government): your institution.")
    plan.add_argument("--region", default="", help="Profile: your region or country.")
    plan.add_argument("--no-workspace", action="store_true", help="Quote the strategy only, not your documents.")

    evaluate = sub.add_parser("eval", help="Run the golden-set evaluation and write evals/results/<run>/.")
    evaluate.add_argument("--backend", choices=["composer", "openai", "local"], default="composer",
                          help="Answer backend to evaluate (default: the grounded composer, no LLM).")
    evaluate.add_argument("--run", help="Name of the results folder (default: a timestamp).")
    evaluate.add_argument("--out", type=Path, help="Parent folder for the run (default: evals/results).")
    evaluate.add_argument("--golden", type=Path, help="Golden set (default: evals/golden.jsonl).")
    evaluate.add_argument("--baseline", type=Path, help="Run folder to compare with (default: evals/results/baseline).")
    evaluate.add_argument("--no-naive", action="store_true", help="Skip the naive LangChain pipeline.")
    evaluate.add_argument("--every", type=int, default=1, metavar="N",
                          help="Run every N-th case only (a spread-out sample for slow backends such as local).")
    evaluate.add_argument("--judge", action="store_true",
                          help="Also score faithfulness with the configured LLM (needs ADVISOR_LLM and an endpoint).")

    serve = sub.add_parser("serve", help="Serve the chat UI and the API.")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    bench = sub.add_parser("bench", help="Measure ingest, latency, cold start, memory and scale.")
    bench.add_argument("--quick", action="store_true", help="Small counts: a smoke test, not figures to quote.")
    bench.add_argument("--out", type=Path, default=Path("evals/bench"), help="Runs go to OUT/<timestamp>/.")
    bench.add_argument(
        "--parts",
        default="product,cold,http,scale",
        help="Comma list of: product, cold, http, scale, hostile (bombs, big documents, multipart bodies), "
        "ui (30 simultaneous UI users).",
    )
    bench.add_argument("--sizes", help="Scale corpus sizes, e.g. 1000,10000,100000.")
    bench.add_argument("--no-chroma-server", action="store_true", help="Scale runs on embedded Chroma only.")
    bench.add_argument("--no-embedded", action="store_true", help="Scale runs on a Chroma server only.")
    return parser


def _advisor():  # noqa: ANN202 - imported lazily so `--help` stays fast
    from advisor.components import build_advisor
    from advisor.settings import get_settings

    return build_advisor(get_settings())


def cmd_ingest(args: argparse.Namespace) -> int:
    from advisor.indexing.ingest import IngestError

    advisor = _advisor()
    collection = args.collection or (advisor.settings.workspace_collection if args.paths else None)

    def progress(done: int, total: int, path: Path, outcome: str) -> None:
        print(f"[{done}/{total}] {path}: {outcome}", file=sys.stderr, flush=True)

    try:
        report = advisor.ingest(args.paths or None, collection=collection, progress=progress)
    except (IngestError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(report.summary())
    return 1 if report.failed else 0


def cmd_documents(args: argparse.Namespace) -> int:
    try:
        records = _advisor().documents(args.collection)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print(json.dumps([r.to_json() for r in records], ensure_ascii=False))
    for r in [] if args.json else records:
        pages = f", {r.extra['pages']} pages" if r.extra.get("pages") else ""
        print(f"{r.collection}\t{r.doc_id}\t{r.title} ({r.source}, {r.chunks} chunks{pages})")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    advisor = _advisor()
    try:
        record = advisor.delete_document(args.doc_id, args.collection)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if record is None:
        where = args.collection or advisor.settings.workspace_collection
        raise CliError(f"no document '{args.doc_id}' in collection '{where}'")
    print(f"deleted {record.doc_id} ({record.chunks} chunks) from {record.collection}")
    return 0


def _questions_from_file(path: Path, limit: int) -> list[str]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CliError(f"no such file: {path}") from exc
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not valid UTF-8 text") from exc
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror}") from exc
    questions = [line.strip() for line in raw.splitlines() if line.strip()]
    if not questions:
        raise CliError(f"{path}: no questions in the file")
    if len(questions) > limit:
        raise CliError(f"{path}: {len(questions)} questions; the limit is {limit}")
    return questions


def cmd_ask(args: argparse.Namespace) -> int:
    from advisor.models import check_question
    from advisor.settings import get_settings

    settings = get_settings()
    if args.file and args.question:
        raise CliError("give either a question or --file, not both")
    if args.file:
        if not args.json:
            raise CliError("--file needs --json (one JSON answer per line)")
        questions = _questions_from_file(args.file, settings.max_questions_per_file)
    else:
        questions = [args.question or ""]
    for q in questions:  # validate everything before any work is done
        try:
            check_question(q, settings.max_question_chars)
        except ValueError as exc:
            raise CliError(str(exc)) from exc
    advisor = _advisor()
    advisor.ensure_index()
    audience = None if args.audience == "auto" else args.audience
    for question in questions:
        try:
            stream = advisor.stream(question, audience=audience, collections=args.collection, doc_ids=args.doc_ids)
        except ValueError as exc:
            raise CliError(str(exc)) from exc
        if args.json:
            print(json.dumps(stream.answer().model_dump(), ensure_ascii=False), flush=True)
        else:
            _print_stream(stream)
    return 0


def _print_stream(stream: AnswerStream) -> None:
    """Print the text as it comes, then the sources and notes."""
    from advisor.answer.events import AnswerEvent, DeltaEvent
    from advisor.answer.render import answer_as_text, terminal_text

    for event in stream:
        if isinstance(event, DeltaEvent):
            print(terminal_text(event.text), end="", flush=True)
        elif isinstance(event, AnswerEvent):
            full = answer_as_text(event.answer)
            shown = terminal_text(event.answer.answer)
            tail = full[len(shown) :] if full.startswith(shown) else "\n\n" + full
            print(tail, flush=True)


def cmd_plan(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from advisor.plan.builder import build_plan, check_request
    from advisor.plan.exports import export_plan
    from advisor.plan.models import PlanRequest
    from advisor.plan.rules import load_rules
    from advisor.settings import get_settings
    from advisor.taxonomy import configured_taxonomy

    if args.json and (args.format != "md" or args.output):
        raise CliError("--json prints the plan; it does not go with --format or -o")
    try:
        request = PlanRequest(
            audience=args.audience,
            focus_areas=[f for f in args.focus.split(",") if f.strip()],
            profile={"sector": args.sector, "size": args.size, "institution": args.institution, "region": args.region},
            language=args.language,
            include_workspace=not args.no_workspace,
        )
        settings = get_settings()  # refuse bad input before the model and the store are loaded
        check_request(request, load_rules(settings.plan_rules_file, configured_taxonomy(settings.taxonomy_file)), settings)
    except ValidationError as exc:  # a ValueError too: caught first, for its one-line message
        raise CliError(_first_error(exc)) from exc
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.output is not None and not args.output.parent.is_dir():
        raise CliError(f"cannot write {args.output}: no such folder {args.output.parent}")
    advisor = _advisor()
    advisor.ensure_index()
    plan = build_plan(advisor, request)
    if args.json:
        print(plan.model_dump_json())
        return 0
    file = export_plan(plan, args.format, settings)
    if args.output is None and args.format == "md":
        sys.stdout.write(plan.markdown)
        return 0
    target = args.output or Path(file.filename)
    try:
        target.write_bytes(file.content)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}") from exc
    print(f"plan with {len(plan.steps)} steps written to {target}", file=sys.stderr)
    return 0


def _first_error(exc: ValidationError) -> str:
    """A pydantic ValidationError as one line: where, and what is wrong."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid value')}" if where else str(first.get("msg", "invalid value"))


def cmd_eval(args: argparse.Namespace) -> int:
    from advisor.settings import ConfigError, get_settings
    from advisor_tools.evaluation.evaluate import run_evaluation
    from advisor_tools.evaluation.golden import GoldenError

    settings = get_settings()
    if args.golden:
        if not args.golden.is_file():
            raise CliError(f"no such file: {args.golden}")
        settings = settings.model_copy(update={"eval_golden_file": args.golden.resolve()})
    if args.baseline and not (args.baseline / "summary.json").is_file():
        raise CliError(f"no summary.json in baseline folder: {args.baseline}")
    if args.every < 1:
        raise CliError("--every must be 1 or more")
    backend = "none" if args.backend == "composer" else args.backend
    if args.judge and settings.llm == "none" and backend == "none":
        raise CliError("--judge needs an LLM: set ADVISOR_LLM=openai and OPENAI_BASE_URL or OPENAI_API_KEY")
    try:
        summary, comparison, folder = run_evaluation(
            settings, backend=backend, run_name=args.run, out_dir=args.out, baseline_dir=args.baseline,
            include_naive=not args.no_naive, judge=args.judge, every=args.every, progress=lambda msg: print(msg, file=sys.stderr, flush=True),
        )
    except GoldenError as exc:
        raise CliError(str(exc)) from exc
    except ConfigError as exc:
        raise CliError(str(exc)) from exc
    metrics = summary["metrics"]
    naive = summary.get("naive", {}).get("metrics", {})
    for name in ("hit@1", "hit@5", "mrr", "ndcg@10", "first_citation_hit", "citation_recall", "citation_precision",
                 "focus_area_accuracy", "decline_accuracy", "false_decline_rate", "canary_leak_rate",
                 "invented_facts", "latency_ms_mean", "judge_faithfulness"):
        if name not in metrics:
            continue
        extra = f"   (naive {naive[name]})" if naive.get(name) is not None else ""
        print(f"{name:22} {metrics.get(name)}{extra}")
    if comparison is not None:
        for line in comparison.get("note", []):
            print(f"note: {line}")
        for line in comparison["better"]:
            print(f"better: {line}")
        for line in comparison["worse"]:
            print(f"worse: {line}")
        if not comparison["better"] and not comparison["worse"]:
            print("no change from the baseline")
    print(f"results: {folder}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from advisor.http.server import serve
    from advisor.settings import get_settings

    settings = get_settings()
    serve(settings, host=args.host or settings.host, port=args.port or settings.port)
    return 0


BENCH_PARTS = {"product", "cold", "http", "scale", "hostile", "ui"}


def cmd_bench(args: argparse.Namespace) -> int:
    from advisor_tools.bench import BenchPlan, run_bench

    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if not parts or parts - BENCH_PARTS:
        raise CliError(f"--parts takes a comma list of {', '.join(sorted(BENCH_PARTS))}")
    plan = BenchPlan.quick(args.out) if args.quick else BenchPlan(args.out)
    if args.sizes:
        try:
            plan.scale_sizes = [int(x) for x in args.sizes.split(",")]
        except ValueError as exc:
            raise CliError("--sizes takes a comma list of whole numbers") from exc
        if any(n <= 0 for n in plan.scale_sizes):
            raise CliError("--sizes must be positive")
    if args.no_chroma_server:
        plan.chroma_server = False
    if args.no_embedded:
        plan.embedded = False
    out = run_bench(plan, parts, log=lambda m: print(f"bench: {m}", file=sys.stderr, flush=True))
    print((out / "bench.md").read_text())
    print(f"written to {out}")
    return 0


COMMANDS = {
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "eval": cmd_eval,
    "serve": cmd_serve,
    "bench": cmd_bench,
    "documents": cmd_documents,
    "delete": cmd_delete,
    "plan": cmd_plan,
}


def settings_problem(exc: ValidationError) -> str:
    """`ADVISOR_NAME: what is wrong` for each invalid setting, on one line."""
    problems = []
    for error in exc.errors():
        name = "ADVISOR_" + "_".join(str(part) for part in error["loc"]).upper()
        problems.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pydantic import ValidationError

    from advisor.settings import ConfigError
    from advisor.storage.vectorstore import StoreError, StoreFull, StoreUnavailable

    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:  # a bad ADVISOR_* value: one line naming it, not a traceback
        print(f"advisor: error: {settings_problem(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return exc.code
    except (StoreUnavailable, StoreFull) as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except StoreError as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left early (`advisor ask … | head`): stop quietly, as other command-line tools do. Point
        # stdout at /dev/null so that Python's own flush at exit does not fail (and print) a second time.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # no real file behind stdout (a test's capture): nothing left to flush
            pass
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
