"""Follow-up condensing with real answers from the built index, and the feedback store."""

from __future__ import annotations

import json
import sqlite3

import pytest

from advisor.answer.render import references_markdown
from advisor.query.followup import Turn, condense, parse_previous
from advisor.storage.feedback import FeedbackStore
from ui.chat import export_markdown, link_markers, sources_html

FUNDING = "How can SMEs get funding?"


@pytest.fixture(scope="module")
def funding(advisor):
    return advisor.ask(FUNDING)


def history(answer, structured: bool) -> list[Turn]:
    return [
        Turn(role="user", content=FUNDING),
        Turn(role="assistant", content=answer.answer, answer=answer if structured else None),
    ]


def test_text_and_structured_history_read_the_same(funding):
    from_text = parse_previous(Turn(role="assistant", content=funding.answer))
    from_json = parse_previous(Turn(role="assistant", content=funding.answer, answer=funding))
    assert [t for t, _ in from_text.actions] == [t for t, _ in from_json.actions]
    assert [c for _, c in from_text.actions] == [c for _, c in from_json.actions]
    lead = {n: t for n, t in from_json.sources.items() if n <= 2}  # the lead line names the first two
    assert lead.items() <= from_text.sources.items()


@pytest.mark.parametrize(
    ("message", "index"),
    [("Tell me more about the second action", 1), ("What about step 3?", 2), ("Expand on the last one", -1)],
)
def test_ordinal_references_pick_the_action(funding, message, index):
    condensed = condense(message, history(funding, structured=True))
    assert condensed.follow_up and funding.actions[index].text in condensed.question
    assert condensed.audience == "business"


def test_source_reference_and_out_of_range(funding):
    last = funding.citations[-1]
    assert last.n >= 2
    condensed = condense(f"What does source [{last.n}] say?", history(funding, structured=True))
    assert condensed.question == f"Tell me more about {last.title}"
    # An OpenAI client only keeps the text, which carries the numbered references.
    text = funding.answer + references_markdown(funding.citations)
    as_seen = condense(f"What does source [{last.n}] say?", [Turn(role="user", content=FUNDING), Turn(role="assistant", content=text)])
    assert as_seen.question == condensed.question
    beyond = condense("Tell me more about the ninth action", history(funding, structured=True))
    assert beyond.follow_up and FUNDING.rstrip("?") in beyond.question  # falls back to the topic


def test_chain_of_follow_ups_keeps_topic_and_latest_audience(advisor, funding):
    turns = history(funding, structured=True)
    gov = advisor.ask("And what should governments do?", history=turns)
    turns += [Turn(role="user", content=gov.question), Turn(role="assistant", content=gov.answer, answer=gov)]
    more = condense("Why?", turns)
    assert "funding" in more.question.lower() and more.audience == "government"


def test_standalone_questions_pass_through(funding):
    fresh = "Which priority focus areas does the strategy name?"
    condensed = condense(fresh, history(funding, structured=True))
    assert condensed == condense(fresh, [])
    assert not condensed.follow_up and condensed.question == fresh


def test_new_topic_keeps_the_audience(funding):
    condensed = condense("What about cybersecurity?", history(funding, structured=False))
    assert condensed.audience == "business" and "cybersecurity" in condensed.question
    assert "funding" not in condensed.question


def test_changing_a_rating_replaces_it_and_old_databases_are_migrated(tmp_path, funding):
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as db:  # a database from before answer keys existed, with one row
        db.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, "
            "rating INTEGER NOT NULL CHECK (rating IN (-1, 1)), question TEXT NOT NULL, standalone_question TEXT, "
            "audience TEXT, answer TEXT NOT NULL, citations TEXT NOT NULL, backend TEXT, comment TEXT)"
        )
        db.execute("INSERT INTO feedback (created_at, rating, question, answer, citations) VALUES (0, 1, 'q', 'a', '[]')")
    store = FeedbackStore(path)
    first = store.record(funding, liked=True, answer_key="k1")
    again = store.record(funding, liked=False, answer_key="k1")  # the user changed their mind
    other = store.record(funding, liked=True, answer_key="k2")
    unkeyed = [store.record(funding, liked=True), store.record(funding, liked=True)]
    assert first == again and len({first, other, *unkeyed}) == 4
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT answer_key, rating FROM feedback ORDER BY id").fetchall()
    assert rows == [(None, 1), ("k1", -1), ("k2", 1), (None, 1), (None, 1)]


def test_a_new_word_about_that_stays_on_the_previous_topic(funding):
    condensed = condense("Is there a deadline for that?", history(funding, structured=False))
    assert condensed.follow_up and condensed.question.startswith(FUNDING.rstrip("?"))
    assert "deadline" in condensed.question and condensed.audience == "business"


def test_feedback_rows_and_rendering_are_inert(advisor, tmp_path, funding):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    row = store.record(funding, liked=False, comment="too long")
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        rating, question, citations = db.execute(
            "SELECT rating, question, citations FROM feedback WHERE id = ?", (row,)
        ).fetchone()
    assert (rating, question) == (-1, FUNDING)
    assert [c["id"] for c in json.loads(citations)] == [c.id for c in funding.citations]
    hostile = funding.model_copy(deep=True)
    hostile.question = "<script>alert(1)</script>"
    hostile.citations[0].text = '<img src=x onerror="alert(1)">'
    conversation = [
        {"role": "user", "content": hostile.question, "answer": None},
        {"role": "assistant", "content": hostile.answer, "answer": hostile.model_dump()},
    ]
    panel = sources_html(conversation)
    assert "<script>" not in panel and "<img" not in panel and "&lt;img" in panel
    assert "<script>" not in link_markers("<script>x</script> [1]", 1)
    exported = export_markdown(conversation)
    assert exported.count("[1] *") == 1 and "## Q: &lt;script>" in exported  # Markdown that renders as text
