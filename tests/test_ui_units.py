"""The UI's pure parts: origin settings, follow-up suggestions, source cards, export names, page
head, embed script and feedback reasons. No model, no server, no browser."""

from __future__ import annotations

import datetime as dt
import sqlite3

import gradio as gr
import pytest
from pydantic import SecretStr, ValidationError

from advisor.http.headers import frame_ancestors
from advisor.models import Answer, Citation
from advisor.settings import PROJECT_ROOT, Settings, parse_origins
from advisor.storage.feedback import FeedbackStore
from advisor.taxonomy import load_taxonomy
from ui.chat import SUMMARY_AUTHOR, card_parts, export_markdown, export_name, plain_source, sources_html
from ui.embed import INITIAL_HEIGHT_PX, MAX_HEIGHT_PX, MIN_HEIGHT_PX, embed_script
from ui.followups import as_question, suggest_followups
from ui.page import rewrite_head

GRADIO_HEAD = (
    '<html><head><meta charset="utf-8" /><meta property="og:title" content="Gradio" />'
    '<meta name="twitter:creator" content="@Gradio" />\n<meta\n property="og:image"\n content="https://x/y.jpg" />'
    "<title>t</title></head><body></body></html>"
)


def citation(n: int, section_id: str, title: str, section: str, text: str) -> Citation:
    return Citation(n=n, id=f"doc::{section_id}", title=title, section=section, source="strategy.md", text=text,
                    score=0.1, section_id=section_id)


def answer(citations: list[Citation], audience: str = "business", in_scope: bool = True) -> Answer:
    return Answer(question="How can SMEs get funding?", audience=audience, in_scope=in_scope, answer="A [1].",
                  focus_areas=[], actions=[], citations=citations, backend="grounded-composer")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("https://a.example.org, http://127.0.0.1:8766/", ["https://a.example.org", "http://127.0.0.1:8766"]),
        ('["http://127.0.0.1:8766", "https://b.example.org/"]', ["http://127.0.0.1:8766", "https://b.example.org"]),
        ("*", ["*"]),
        ("http://[::1]:8080", ["http://[::1]:8080"]),
    ],
)
def test_origins_as_comma_or_json_list(raw: str, expected: list[str]) -> None:
    assert parse_origins(raw) == expected
    assert Settings(cors_origins=raw).cors_origin_list() == expected


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ('["http://a.org"', "not a valid JSON list"),
        ("[1]", "strings only"),
        ("http://a.org/workshop", "'http://a.org/workshop' is not an origin"),
        ("a.org", "'a.org' is not an origin"),
        ("https://a.org, ftp://b.org", "'ftp://b.org' is not an origin"),
    ],
)
def test_malformed_origins_fail_at_start(raw: str, named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(cors_origins=raw)


def test_frame_policy_from_a_json_list_is_a_valid_header() -> None:
    origins = Settings(cors_origins='["http://127.0.0.1:8766", "https://b.org"]').cors_origin_list()
    assert frame_ancestors(origins) == "frame-ancestors 'self' http://127.0.0.1:8766 https://b.org"


def test_followups_are_uncited_neighbours_for_the_same_audience_first() -> None:
    taxonomy = load_taxonomy(Settings().taxonomy_file)
    cited = [citation(1, "biz-tech-offer", "Leverage the EU Tech Business Offer and Investment Initiatives", "x", "y")]
    questions = suggest_followups(answer(cited), taxonomy, 3)
    assert len(questions) == 3 and all(q.startswith("How should businesses ") for q in questions)
    assert not any("tech business offer" in q.lower() for q in questions)  # the cited one is not suggested again
    # Each suggestion is a neighbour: it serves an area the cited recommendation serves.
    served = set(next(r for r in taxonomy.recommendations if r.id == "biz-tech-offer").serves)
    by_question = {as_question(r): r for r in taxonomy.recommendations}
    assert all(served & set(by_question[q].serves) for q in questions)
    assert suggest_followups(answer(cited, in_scope=False), taxonomy, 3) == []
    assert suggest_followups(answer([]), taxonomy, 3) == []


def test_followup_questions_read_as_sentences() -> None:
    taxonomy = load_taxonomy(Settings().taxonomy_file)
    rec = next(r for r in taxonomy.recommendations if r.id == "gov-infrastructure")
    assert as_question(rec) == "How should governments build secure and trusted digital infrastructure (with EU support)?"


def test_source_card_names_its_title_once() -> None:
    c = citation(
        2,
        "gov-dpi",
        "Develop Digital Public Infrastructure",
        "Recommendations for Governments > Develop Digital Public Infrastructure",
        "Develop Digital Public Infrastructure: Modernize your national ID systems.",
    )
    assert card_parts(c) == ("Recommendations for Governments", "Modernize your national ID systems.")
    panel = sources_html([{"role": "assistant", "content": "", "answer": answer([c]).model_dump()}])
    assert panel.count("Develop Digital Public Infrastructure") == 2  # the summary line, and the copy text
    assert "<h2" in panel and "<h3>" in panel and "<h4" not in panel  # no skipped heading levels
    assert plain_source(c) == "[2] Develop Digital Public Infrastructure — Recommendations for Governments (strategy.md)"


def test_export_names_carry_date_and_first_question_and_say_where_the_knowledge_comes_from() -> None:
    conversation = [{"role": "user", "content": "How can SMEs get funding? <b>now</b>", "answer": None}]
    assert export_name(conversation, dt.date(2026, 12, 2)) == "conversation-2026-12-02-how-can-smes-get-funding-b-now-b.md"
    assert export_name([], dt.date(2026, 12, 2)) == "conversation-2026-12-02-chat.md"
    exported = export_markdown(conversation, "https://example.org/strategy")
    assert "JOIN(2025) 140" in exported and SUMMARY_AUTHOR in exported and "(https://example.org/strategy)" in exported


def test_attribution_names_the_author_as_the_knowledge_file_does() -> None:
    knowledge = (PROJECT_ROOT / "knowledge" / "eu-international-digital-strategy.md").read_text(encoding="utf-8")
    assert SUMMARY_AUTHOR in knowledge


def test_page_head_replaces_gradio_preview_tags() -> None:
    page = rewrite_head(GRADIO_HEAD)
    assert "Gradio" not in page and "https://x/y.jpg" not in page
    assert '<meta property="og:title" content="Digital Strategy Advisor" />' in page
    assert page.index("advisor.css") < page.index("</head>") and "advisor.js" in page


def test_embed_script_has_its_height_bounds() -> None:
    script = embed_script()
    assert "${" not in script and f'"{INITIAL_HEIGHT_PX}px"' in script
    assert f"px >= {MIN_HEIGHT_PX} && px <= {MAX_HEIGHT_PX}" in script
    assert "event.source !== frame.contentWindow || event.origin !== origin" in script


def test_dislike_reasons_are_stored_with_the_rating(tmp_path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    shown = answer([])
    store.record(shown, liked=False, answer_key="k1")
    assert store.explain("k1", ["wrong", "missing source"], "  cites the wrong part ")
    assert not store.explain("unknown-key", ["other"])
    with pytest.raises(ValueError, match="unknown reason"):
        store.explain("k1", ["boring"])
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        assert db.execute("SELECT rating, reason, comment FROM feedback").fetchall() == [
            (-1, "wrong, missing source", "cites the wrong part")
        ]
    store.record(shown, liked=True, answer_key="k1")  # changing one's mind drops the old reasons
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        assert db.execute("SELECT rating, reason FROM feedback").fetchall() == [(1, None)]


def test_feedback_database_without_reason_column_is_migrated(tmp_path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, rating INTEGER "
            "NOT NULL, question TEXT NOT NULL, standalone_question TEXT, audience TEXT, answer TEXT NOT NULL, "
            "citations TEXT NOT NULL, backend TEXT, comment TEXT)"
        )
    FeedbackStore(path)
    with sqlite3.connect(path) as db:
        assert {"answer_key", "reason"} <= {row[1] for row in db.execute("PRAGMA table_info(feedback)")}


class _Settings:
    def __init__(self, admin_key: str | None) -> None:
        self.admin_key = SecretStr(admin_key) if admin_key else None
        self.max_upload_mb = 1.0
        self.workspace_collection = "workspace"


class _Advisor:
    """Just what the documents panel reads."""

    def __init__(self, admin_key: str | None) -> None:
        self.settings = _Settings(admin_key)

    def documents(self, collection: str | None = None) -> list:
        return []


def test_documents_panel_only_exists_with_an_admin_key() -> None:
    from ui.documents import build_documents_panel

    with gr.Blocks():
        assert build_documents_panel(_Advisor(None)) is None  # type: ignore[arg-type]
        assert build_documents_panel(_Advisor("secret")) is not None  # type: ignore[arg-type]
