"""Pure-logic rules for explanations, framing sentences and multi-part answers (no model needed)."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from advisor.answer.actions import Role
from advisor.answer.composer import ScoredSentence, mark_framing, pick_explanation, pick_key_points
from advisor.query.parts import question_parts
from advisor.query.understand import understand
from advisor.retrieval.passage import Passage
from advisor.settings import Settings
from advisor.taxonomy import load_taxonomy

SETTINGS = Settings()


def sentence(index: int, start: int, kind: str, similarity: float, base: float, who: str = "general") -> ScoredSentence:
    return ScoredSentence(index, start, start + 1, f"Sentence {index}.{start} long enough to read.", similarity,
                          Role(kind, who), base, base)  # type: ignore[arg-type]


@pytest.mark.parametrize("question", [
    "What is meant by digital public infrastructure?",
    "Why does Europe care about cyber resilience elsewhere?",
    "What is the background of the 5G Toolbox?",
    "What is the rationale behind the Tech Business Offer?",
    "Qu'entend la stratégie par infrastructure publique numérique ?",
    "¿Qué se entiende por identidad digital?",
    "Was versteht man unter digitaler öffentlicher Infrastruktur?",
])
def test_background_rationale_and_definitions_ask_for_an_explanation(question):
    assert understand(question, max_chars=300).intent == "explain", question


def test_why_the_strategy_itself_was_written_is_answered_from_its_introduction():
    # "write this" names the document: the situation behind it is what its introduction says.
    query = understand("What situation pushed Europe to write this?", max_chars=300)
    assert (query.overview, query.leads[:1]) == ("background", ("introduction",))


@pytest.mark.parametrize("question", [
    "We run a cloud hosting company in Nairobi — what does the strategy mean for us?",
    "What does the Tech Business Offer mean for our startup?",
])
def test_what_it_means_for_the_asker_is_advice_not_a_definition(question):
    assert understand(question, max_chars=300).intent == "advice", question


def test_an_explanation_leads_with_describing_sentences_from_the_passage_that_explains_best():
    scored = [
        sentence(0, 0, "description", 9.0, 1.45),
        sentence(0, 50, "description", 8.6, 1.30),
        sentence(1, 0, "action", 9.1, 1.50, "government"),  # a to-do is no reason, however close
        sentence(2, 0, "outcome", 8.8, 1.40, "business"),
    ]
    chosen = pick_explanation(scored, SETTINGS)
    assert all(s.role.kind != "action" for s in chosen)
    assert [s.passage_index for s in chosen[:2]] == [0, 0]  # the explaining passage's sentences first


def test_an_instruction_explains_only_when_nothing_else_is_close():
    scored = [sentence(0, 0, "action", 9.0, 1.5, "government"), sentence(1, 0, "description", 5.0, 1.0)]
    assert [s.role.kind for s in pick_explanation(scored, SETTINGS)] == ["action"]
    assert pick_explanation(scored, SETTINGS, instructions=False) == []


def test_framing_sentences_are_points_only_for_the_whole_strategy_or_when_nothing_else_is_left():
    topical, framing = sentence(0, 0, "outcome", 7.2, 1.2), sentence(1, 0, "description", 7.7, 1.15)
    framing.framing = True
    assert pick_key_points([topical, framing], [], 2, SETTINGS.key_point_margin) == [topical]
    assert framing in pick_key_points([topical, framing], [], 2, SETTINGS.key_point_margin, framing=True)
    assert pick_key_points([framing], [], 2, SETTINGS.key_point_margin) == [framing]


def test_the_documents_framing_sections_come_from_the_taxonomy():
    taxonomy = load_taxonomy(SETTINGS.taxonomy_file)
    assert {"conclusion", "business-outcome", "introduction"} <= taxonomy.framing
    assert not {"fa-cybersecurity", "biz-infrastructure"} & taxonomy.framing
    passages = [Passage(Document(page_content="x", metadata={"section_id": sid}), 0.0, 0.0)
                for sid in ("biz-infrastructure", "conclusion")]
    marked = mark_framing([sentence(0, 0, "outcome", 1, 1), sentence(1, 0, "outcome", 1, 1)], passages, taxonomy)
    assert [s.framing for s in marked] == [False, True]


def test_a_part_that_names_its_audience_is_answered_for_it_and_a_lead_is_not_diluted():
    parts = question_parts(
        "On digital identity: which standards should vendors follow, and what should states do to reach mutual "
        "recognition with the EU?"
    )
    assert [p.audience for p in parts] == ["business", "government"]
    platforms = question_parts(
        "On online platforms: what's expected of the companies themselves, and what should regulators in partner "
        "countries do?"
    )
    # the lead names the topic; the companies' part does not borrow the regulators' "partner countries"
    assert "partner" not in platforms[0].text.lower() and platforms[0].text.startswith("On online platforms")
    assert [p.audience for p in platforms] == ["business", "government"]
    assert understand("How do EU member states help?", max_chars=200).audience == "general"


# ---- end to end (marked slow through the `advisor` fixture) ----------------------------------------


def test_definitions_and_reasons_are_explained_not_turned_into_to_do_lists(advisor):
    meant = advisor.ask("What is meant by digital public infrastructure?")
    assert not meant.actions and len(meant.key_points) >= 2
    assert all(p.citations == meant.key_points[0].citations for p in meant.key_points)  # one defining passage
    why = advisor.ask("Why does the EU care about cybersecurity in partner countries?")
    assert not any(p.text.startswith("Governments should") for p in why.key_points)


def test_a_specific_business_question_gets_no_conclusion_boilerplate(advisor):
    answer = advisor.ask("We run a cloud hosting company in Nairobi — what does the strategy mean for us?")
    assert not any("Embracing this strategy" in p.text for p in answer.key_points)
    assert answer.actions and all("AI" not in a.text.split() for a in answer.actions)


def test_each_part_is_answered_for_the_audience_it_names(advisor):
    answer = advisor.ask(
        "On digital identity: which standards should vendors follow, and what should states do to reach mutual "
        "recognition with the EU?"
    )
    assert any("your country" in a.text for a in answer.actions)  # the states' part gets governments' actions
    platforms = advisor.ask(
        "On online platforms: what's expected of the companies themselves, and what should regulators in partner "
        "countries do?"
    )
    assert not any("cybersecurity" in a.text.lower() for a in platforms.actions)


def test_a_statement_of_who_asks_is_context_not_a_part():
    assert question_parts(
        "Our telecom regulator is drafting spectrum rules; how does the strategy say we can speed up network "
        "deployment with EU money?"
    ) == ()
    vendor = question_parts("We're a 5G equipment vendor. Should we follow the 5G Toolbox, and could we take part in a "
                            "6G pilot in a partner country?")
    assert len(vendor) == 2  # a segment that holds a question after its context stays a part


def test_a_lone_action_brings_its_recommendations_next_step_never_another_passages():
    from advisor.answer.composer import pick_actions

    lone = sentence(0, 0, "action", 0.60, 1.50, "business")
    sibling = sentence(0, 80, "action", 0.30, 1.20, "business")  # same recommendation, far less close
    stranger = sentence(1, 0, "action", 0.31, 1.21, "business")  # another passage, as far off
    chosen = pick_actions([lone, sibling, stranger], "business", SETTINGS, floor=0.0)
    assert chosen == [lone, sibling]
    assert pick_actions([lone, stranger], "business", SETTINGS, floor=0.0) == [lone]  # never padded from elsewhere
