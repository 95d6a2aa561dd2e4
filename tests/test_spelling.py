"""Spelling tolerance on the query side: misspelt self-descriptions still say who asks."""

from __future__ import annotations

import pytest

from advisor.query.audience import detect_audience, lexicon, spellings
from advisor.query.spelling import correction, respell


def test_lexicon_fragments_spell_out_their_words():
    assert spellings("compan(y|ies)") == {"company", "companies"}
    assert spellings("start-?ups?") == {"startup", "startups"}  # hyphenated forms are matched as written
    assert spellings("r[ée]gulateurs?") == {"regulateur", "regulateurs"}  # Latin words without accents only
    assert spellings(r"we (sell|build)\b") == set()  # not a plain fragment: no guesses from it
    assert "ministry" in lexicon().spellings and "operator" in lexicon().spellings


@pytest.mark.parametrize(
    ("question", "audience"),
    [
        ("our minstry wants to connect rural schools, what can we ask the eu for", "government"),
        ("as a regulater what does the strategy want from us", "government"),
        ("we are a telcom operater in ghana. any funding?", "business"),
        ("my startp builds ai for farmers, is there money for us", "business"),
        ("cyber secutiry for small compnies like mine?", "business"),
    ],
)
def test_misspelt_self_descriptions_still_name_the_asker(question, audience):
    assert detect_audience(question) == audience


def test_real_words_are_never_respelt_into_audience_words():
    vocabulary = lexicon().spellings
    # "agenda", "supply" and "provide" are English words one or two edits from lexicon words.
    assert respell("what is on the agenda for our supply chain, and what do you provide", vocabulary) == (
        "what is on the agenda for our supply chain, and what do you provide"
    )
    assert detect_audience("What is on the agenda for supply chains?") == "general"


def test_correction_allows_more_slips_in_longer_words():
    vocabulary = {"government", "ministry", "cable"}
    assert correction("goverment", vocabulary) == "government"
    assert correction("minstry", vocabulary) == "ministry"
    assert correction("cabble", vocabulary) == "cable"
    assert correction("cab", vocabulary) is None  # short words must match exactly
    assert correction("gvrnmnt", vocabulary) is None  # too many slips


def test_question_text_is_respelt_towards_the_domain_for_the_rankers():
    from advisor.query.understand import understand

    query = understand("we are a telcom provider, what network securty does the strategy expect?", max_chars=2000)
    assert "telecom" in query.spelled and "security" in query.spelled
    assert query.text.startswith("we are a telcom")  # what the user wrote is kept for display
    # English words (inflections, apostrophes) are never respelt.
    kept = understand("We're checking diplomas and council's permits, moderating posts", max_chars=2000)
    assert kept.spelled == kept.text


def test_ties_prefer_the_same_first_letter_then_the_commoner_word():
    assert correction("socal", {"local", "social"}) == "social"
    assert correction("regulater", {"regulator", "regulateur"}) == "regulator"


def test_places_typed_in_lower_case_say_where_the_asker_is():
    from advisor.query.places import place_names
    from advisor.query.understand import understand

    assert place_names("we are a telecom operator in west africa, also in kenya") == ["west africa", "kenya"]
    assert place_names("male users and mobile apps") == []  # everyday words that are also place names
    query = understand("our municipality in colombia wants an e-government portal", max_chars=2000)
    assert "colombia" in query.names  # a place: context for the scope check, not a topic word


def test_places_are_found_as_the_old_alternation_found_them():
    """The word-start lookup keeps the regular expression's rules: whole words only (a hyphen joins), the
    longest name starting first wins, any case (the Turkish dotted capital as re.I folds it), as written."""
    from advisor.query.places import in_partner_country, place_names

    assert place_names("Operators in WEST AFRICA and west-africans") == ["WEST AFRICA"]
    assert place_names("from Guinea-Bissau, not Guinea") == ["Guinea-Bissau", "Guinea"]
    assert place_names("offices in İstanbul and St. John's") == ["İstanbul", "St. John's"]
    assert place_names("a female founder") == []
    assert place_names("") == []
    assert in_partner_country(place_names("a consultancy in Colombia")) is True
    assert in_partner_country(place_names("a startup in Germany")) is False


def test_british_spellings_meet_the_documents_spelling_or_stay_as_typed():
    vocabulary = frozenset({"prioritize", "centers", "authority", "authored", "for", "summary"})
    # The documents' own spelling where they have one, so the ranker's stems meet.
    assert respell("which areas does it prioritise? data centres", vocabulary) == "which areas does it prioritize? data centers"
    # A British word they do not use is English all the same: never respelt towards a neighbour.
    assert respell("authorised suppliers, favourite behaviour", vocabulary) == "authorised suppliers, favourite behaviour"
    # A word of the list keeps its spelling even when its "American" form is a vocabulary word ("four" is not "for").
    assert respell("four of us", vocabulary) == "four of us"
    assert respell("summarized", vocabulary) == "summarized"


def test_the_spelling_vocabulary_reads_the_tables_not_their_comments(tmp_path, monkeypatch):
    from advisor.query import understand as module

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "eu-international-digital-strategy.md").write_text("Undersea cables.", encoding="utf-8")
    (knowledge / "synonyms.yaml").write_text("# upselling is a comment\nsubmarine: [undersea]\n", encoding="utf-8")
    (knowledge / "intents.yaml").write_text("summary:\n  - 'gist'  # together\n", encoding="utf-8")
    monkeypatch.setattr(module, "PROJECT_ROOT", tmp_path)
    module.domain_vocabulary.cache_clear()
    try:
        words = module.domain_vocabulary()
    finally:
        module.domain_vocabulary.cache_clear()
    assert {"undersea", "cables", "submarine", "summary", "gist"} <= words
    assert not {"upselling", "comment", "together"} & words
