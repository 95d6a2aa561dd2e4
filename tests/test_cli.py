import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

KEYS = {"question", "audience", "in_scope", "answer", "focus_areas", "actions", "citations", "backend", "timings_ms"}


def store_state(data_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in (data_dir / "chroma").rglob("*") if p.is_file()}


def test_ask_json_contract(data_copy: Path):
    result = run_cli(["ask", "How can SMEs get funding from Global Gateway projects?", "--json"], data_copy)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert KEYS <= answer.keys()
    assert answer["audience"] == "business" and answer["in_scope"] is True
    assert answer["backend"] == "grounded-composer"
    assert all({"text", "citations"} <= a.keys() for a in answer["actions"])
    cit = answer["citations"][0]
    assert {"n", "title", "section", "source", "text", "score"} <= cit.keys()
    # Citations are numbered in the order the answer first uses them.
    numbers = [c["n"] for c in answer["citations"]]
    first_use = [answer["answer"].index(f"[{n}]") for n in numbers]
    assert numbers == list(range(1, len(numbers) + 1)) and first_use == sorted(first_use)
    assert all(isinstance(v, float) for v in answer["timings_ms"].values())


def test_ask_file_prints_one_json_line_per_question_in_order(data_copy: Path, tmp_path: Path):
    questions = [
        "What should governments do about cybersecurity?",
        "",
        "How do I bake bread?",
        "What should startups do about AI?",
    ]
    qfile = tmp_path / "q.txt"
    qfile.write_text("\n".join(questions) + "\n")
    result = run_cli(["ask", "--json", "--file", str(qfile), "--audience", "government"], data_copy)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in lines] == [q for q in questions if q]
    assert [a["in_scope"] for a in lines] == [True, False, True]
    # A question that names its audience ("startups") wins over the switch, and says so.
    assert [a["audience"] for a in lines] == ["government", "government", "business"]
    assert "as the question asks" in lines[2]["answer"] and "as the question asks" not in lines[0]["answer"]


def test_plain_text_answer_lists_sources(data_copy: Path):
    result = run_cli(["ask", "What should we do to align with GDPR?", "--audience", "business"], data_copy)
    assert result.returncode == 0
    assert "Sources" in result.stdout and "[1]" in result.stdout


def test_bad_input_is_one_line_and_nonzero_and_leaves_the_store(data_copy: Path, tmp_path: Path):
    before = store_state(data_copy)
    cases = [
        (["ask", "   "], "the question is empty"),
        (["ask", "x" * 2001], "the limit is 2000"),
        (["ask", "--json", "--file", str(tmp_path / "missing.txt")], "no such file"),
        (["ask", "--audience", "aliens", "hi"], "invalid choice"),
        (["ingest", str(tmp_path / "nope.md")], "no such file or folder"),
    ]
    for args, message in cases:
        result = run_cli(args, data_copy)
        assert result.returncode != 0, args
        err = [line for line in result.stderr.splitlines() if line.strip()]
        assert message in err[-1], (args, result.stderr)
        if args[0] != "ask" or "--audience" not in args:
            assert len(err) == 1, result.stderr
        assert result.stdout == ""
    assert store_state(data_copy) == before


def test_ingest_is_idempotent_from_the_command_line(data_copy: Path):
    result = run_cli(["ingest"], data_copy)
    assert result.returncode == 0, result.stderr
    assert "added 0, updated 0, unchanged 1, failed 0" in result.stdout


@pytest.mark.slow  # runs the CLI
def test_a_taxonomy_setting_that_names_no_taxonomy_is_one_line(tmp_path: Path):
    """A wrong ADVISOR_TAXONOMY_FILE (missing, or not a taxonomy) is reported like any bad setting."""
    broken = tmp_path / "taxonomy.yaml"
    broken.write_text("objectives: 3\n", encoding="utf-8")
    for path, command in ((tmp_path / "none.yaml", ["ask", "What is Global Gateway?"]), (broken, ["plan", "--audience", "government"])):
        done = run_cli(command, tmp_path / "data", ADVISOR_TAXONOMY_FILE=str(path))
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert lines[0].startswith("advisor: error: ADVISOR_TAXONOMY_FILE:") and str(path) in lines[0]


def test_a_reader_that_leaves_early_ends_the_command_quietly(monkeypatch, capsys):
    """`advisor ask … | head`: the pipe closes mid-answer; one exit code, no traceback."""
    from advisor import cli

    def leaves(args):
        raise BrokenPipeError

    monkeypatch.setitem(cli.COMMANDS, "ask", leaves)
    assert cli.main(["ask", "What is Global Gateway?"]) == cli.EXIT_BROKEN_PIPE
    assert capsys.readouterr().err == ""
