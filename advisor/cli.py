"""`advisor` command line: ingest, ask, serve. Errors are one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from advisor.audience import AUDIENCES

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3


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
    ingest.add_argument("paths", nargs="*", type=Path)
    ingest.add_argument("--verbose", action="store_true", help="Name each file on stderr as it is ingested.")

    ask = sub.add_parser("ask", help="Ask a question.")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--audience", choices=[*AUDIENCES, "auto"], default="auto")
    ask.add_argument("--json", action="store_true", help="Print the answer as JSON.")
    ask.add_argument("--file", type=Path, help="Ask every line of this file (one JSON object per line).")

    serve = sub.add_parser("serve", help="Serve the chat UI and the API.")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    bench = sub.add_parser("bench", help="Measure ingest, latency, cold start, memory and scale.")
    bench.add_argument("--quick", action="store_true", help="Small counts: a smoke test, not figures to quote.")
    bench.add_argument("--out", type=Path, default=Path("evals/bench"), help="Runs go to OUT/<timestamp>/.")
    bench.add_argument(
        "--parts", default="product,cold,http,scale", help="Comma list of: product, cold, http, scale."
    )
    bench.add_argument("--sizes", help="Scale corpus sizes, e.g. 1000,10000,100000.")
    bench.add_argument("--no-chroma-server", action="store_true", help="Scale runs on embedded Chroma only.")
    bench.add_argument("--no-embedded", action="store_true", help="Scale runs on a Chroma server only.")
    return parser


def _advisor():  # noqa: ANN202 - imported lazily so `--help` stays fast
    from advisor.service import build_advisor
    from advisor.settings import get_settings

    return build_advisor(get_settings())


def cmd_ingest(args: argparse.Namespace) -> int:
    from advisor.ingest import IngestError

    advisor = _advisor()
    try:
        progress = (lambda p: print(f"ingesting {p.name}", file=sys.stderr, flush=True)) if args.verbose else None
        report = advisor.ingest(args.paths or None, progress=progress)
    except IngestError as exc:
        raise CliError(str(exc)) from exc
    for _path, error in report.failed:
        print(f"failed: {error}", file=sys.stderr)
    print(report.summary())
    return 1 if report.failed else 0


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
    from advisor.render import answer_as_text
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
        if advisor.answer_backend is not None and not args.json:
            _print_stream(advisor.ask_stream(question, audience=audience))
            continue
        answer = advisor.ask(question, audience=audience)
        if args.json:
            print(json.dumps(answer.model_dump(), ensure_ascii=False), flush=True)
        else:
            print(answer_as_text(answer))
    return 0


def _print_stream(events) -> None:  # noqa: ANN001 - Iterator[str | Answer]
    """Print validated text as the model writes it, then the sources and notes."""
    from advisor.models import Answer
    from advisor.render import answer_as_text

    for event in events:
        if isinstance(event, Answer):
            full = answer_as_text(event)
            tail = full[len(event.answer) :] if full.startswith(event.answer) else "\n\n" + full
            print(tail, flush=True)
        else:
            print(event, end="", flush=True)


def cmd_serve(args: argparse.Namespace) -> int:
    from advisor.server import serve
    from advisor.settings import get_settings

    settings = get_settings()
    serve(settings, host=args.host or settings.host, port=args.port or settings.port)
    return 0


BENCH_PARTS = {"product", "cold", "http", "scale"}


def cmd_bench(args: argparse.Namespace) -> int:
    from advisor.bench import BenchPlan, run_bench

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


COMMANDS = {"ingest": cmd_ingest, "ask": cmd_ask, "serve": cmd_serve, "bench": cmd_bench}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from advisor.settings import ConfigError
    from advisor.store import StoreUnavailable

    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return exc.code
    except StoreUnavailable as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
