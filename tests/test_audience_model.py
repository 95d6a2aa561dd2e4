"""The audience model: a probe over question vectors, asked only when nothing else says who asks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from advisor.answer.framing import preamble
from advisor.components import Advisor
from advisor.query.audience import read_audience
from advisor.query.audience_model import AudienceProbe, audience_guesser, load_probe
from advisor.query.language import language
from advisor.query.understand import understand
from advisor.settings import Settings
from advisor.storage.multilingual import MODEL_NAME, MultilingualEncoder
from advisor_tools.audience_probe import (
    CLASSES,
    EXAMPLES,
    TRAINED_SETS,
    VALIDATION,
    digest,
    fit,
    read_examples,
    training_examples,
)
from tests.conftest import run_cli

SETTINGS = Settings()
MAX = SETTINGS.max_question_chars


def toy_probe() -> AudienceProbe:
    """Two dimensions: the first says business, the second government; nothing says general."""
    weights = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    return AudienceProbe(CLASSES, np.zeros(2), weights, np.zeros(3), 1.0, MODEL_NAME)


def test_the_probe_names_an_audience_only_when_it_is_sure() -> None:
    probe = toy_probe()
    assert probe.guess(np.array([1.0, 0.0]), 0.8) == "business"
    assert probe.guess(np.array([0.0, 1.0]), 0.8) == "government"
    assert probe.guess(np.array([0.3, 0.0]), 0.8) is None  # leans business, not sure enough
    assert probe.guess(np.array([-1.0, -1.0]), 0.1) is None  # "general" is never an audience to name
    rows = probe.probabilities(np.array([[1.0, 0.0], [0.0, 0.0]]))
    assert rows.shape == (2, 3) and np.allclose(rows.sum(axis=1), 1.0)


def test_a_probe_for_another_encoder_or_a_broken_file_is_refused(tmp_path: Path) -> None:
    good = {"classes": list(CLASSES), "center": [0, 0], "weights": [[1, 0, 0], [0, 1, 0]], "bias": [0, 0, 0],
            "scale": 1.0, "encoder": MODEL_NAME}
    path = tmp_path / "probe.json"
    path.write_text(json.dumps(good))
    assert load_probe(path, MODEL_NAME).classes == CLASSES
    with pytest.raises(ValueError, match="retrain"):
        load_probe(path, "another-encoder")
    path.write_text(json.dumps({**good, "bias": [0, 0]}))
    with pytest.raises(ValueError, match="shapes"):
        load_probe(path, MODEL_NAME)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not an audience probe"):
        load_probe(path, MODEL_NAME)


def test_training_separates_what_it_is_shown_and_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    centres = {"business": [1.0, 0, 0], "government": [0, 1.0, 0], "general": [0, 0, 1.0]}
    labels = [c for c in CLASSES for _ in range(20)]
    x = np.array([np.array(centres[c]) + rng.normal(0, 0.05, 3) for c in labels])
    probe, again = fit(x, labels), fit(x, labels)
    assert np.array_equal(probe.weights, again.weights)
    assert [CLASSES[i] for i in probe.probabilities(x).argmax(axis=1)] == labels


def test_the_shipped_probe_was_trained_on_the_shipped_examples() -> None:
    """Editing knowledge/audience_examples.jsonl or a trained set without retraining would leave a stale model."""
    raw = json.loads(SETTINGS.audience_model_file.read_text(encoding="utf-8"))
    assert raw["trained_on"]["sha256"] == digest(EXAMPLES), "run: python -m advisor_tools.audience_probe train"
    examples = read_examples(EXAMPLES)
    counts = {c: sum(e.label == c for e in examples) for c in CLASSES}
    assert raw["trained_on"]["examples"] == counts and min(counts.values()) >= 100
    _, _, sets = training_examples(EXAMPLES)
    assert raw["trained_on"]["sets"] == sets, "run: python -m advisor_tools.audience_probe train"
    # A set trained on measures nothing about the model: it is never also a validation set.
    assert not set(TRAINED_SETS) & set(VALIDATION)
    assert load_probe(SETTINGS.audience_model_file, MODEL_NAME).weights.shape == (384, 3)


def test_the_model_is_asked_only_when_nothing_else_says_who_asks() -> None:
    asked: list[str] = []

    def guess(text: str, about_self: bool) -> str | None:
        asked.append(text)
        return "government" if about_self else None

    plain = "What is the deadline for our next call?"
    inferred = understand(plain, max_chars=MAX, guess_audience=guess)
    assert (inferred.audience, inferred.audience_source, inferred.named_audience) == ("government", "inferred", False)
    assert asked == [inferred.spelled]  # the text retrieval encodes too, so the vector is computed once
    topic = understand("What is the Digital Partnership Network the EU wants to launch?", max_chars=MAX, guess_audience=guess)
    assert topic.audience == "general"  # asked, with about_self False: this fake reads nothing then
    asked.clear()
    assert understand(plain, "business", max_chars=MAX, guess_audience=guess).audience_source == "ui"
    assert understand(plain, "general", max_chars=MAX, guess_audience=guess).audience == "general"
    named = understand("We are a startup selling cloud services.", max_chars=MAX, guess_audience=guess)
    assert named.audience == "business" and named.audience_source == "question"
    history = [{"role": "user", "content": "Our ministry wants a national digital ID."},
               {"role": "assistant", "content": "The strategy recommends interoperable digital identity."}]
    follow = understand("and the deadline?", history=history, max_chars=MAX, guess_audience=guess)
    assert follow.audience_source == "conversation"
    assert asked == []


def test_an_inferred_audience_is_said_in_the_askers_language() -> None:
    lines = preamble(language("fr"), understood_as=None, answered_for=None, missing=[], inferred_for="business")
    assert lines and "choisissez un autre public" in lines[0]
    assert preamble(language("en"), understood_as=None, answered_for=None, missing=[]) == []


class CountingEngine:
    def __init__(self) -> None:
        self.calls = 0

    def query(self, text: str) -> list[float]:
        self.calls += 1
        return [float(len(text)), 1.0]


def test_question_vectors_are_remembered_so_audience_and_retrieval_encode_once(tmp_path: Path) -> None:
    encoder = MultilingualEncoder(tmp_path / "cache.sqlite3", query_memo=2)
    engine = CountingEngine()
    encoder._model = engine  # the C engine stands in; the memo is what is tested
    first = encoder.query("a")
    assert encoder.query("a") is first and engine.calls == 1
    encoder.query("bb")
    encoder.query("ccc")  # the memo holds two: "a" is forgotten
    encoder.query("a")
    assert engine.calls == 4
    with pytest.raises(ValueError):
        first[0] = 5.0  # shared vectors are read-only


def test_the_guesser_reads_the_text_it_is_given_unless_it_is_too_short_to_say_anything() -> None:
    def encode(text: str) -> np.ndarray:
        return np.array([1.0, 0.0]) if "invoice" in text else np.zeros(2)

    guess = audience_guesser(toy_probe(), encode, 0.8, 0.99, 3)
    assert guess("about our invoice", True) == "business" and guess("anything else at all", True) is None
    assert guess("about an invoice", False) is None  # a topic alone must be surer (p = 0.96 here)
    assert guess("our invoice", True) is None  # two words: no situation to read


@pytest.mark.parametrize(
    ("question", "unsaid"),
    [
        ("What's the deadline for the next call?", True),
        ("Le délai pour déposer un dossier ?", True),
        ("Give me the six priority areas as a bullet list for my handout.", False),  # a trainer: neither
        ("I coach shop owners in Peru on going online; what should I tell them?", False),
        ("Je suis journaliste : que dit la stratégie sur les câbles ?", False),
        ("Soy estudiante y escribo mi tesis sobre la estrategia.", False),
        ("Ich gebe Fortbildungen für Verwaltungsmitarbeitende zur Strategie.", False),
        ("أنا باحثة في الأمن السيبراني، ماذا تقول الاستراتيجية؟", False),
        ("What should companies do and what should governments do?", False),  # both named: answered for both
        ("Our ministry drafts a data law.", False),  # the lexicon already says it
    ],
)
def test_the_model_may_guess_only_when_nobody_is_named_and_nobody_says_they_are_neither(question: str, unsaid: bool) -> None:
    assert read_audience(question).unsaid() is unsaid


def test_an_asker_who_only_mentions_both_sides_is_read_by_the_model() -> None:
    """A supplier who wants on a ministry's list mentions the buyer as often as itself: words tie, and
    the situation decides. A question about both sides that says nothing of its asker stays for both."""
    question = "Does the ministry keep a list of approved suppliers, and how do we get on it?"
    assert read_audience(question).unsaid(about_self=True)
    assert not read_audience(question).unsaid(about_self=False)
    assert not read_audience("Our company sells to ministries; how do we get on their list?").unsaid(about_self=True)


def test_an_asker_who_only_shows_their_situation_is_answered_for_their_audience_and_told_so(advisor: Advisor) -> None:
    """End to end with the shipped probe and the real encoder: no audience word, a drafting ministry."""
    question = "Nous préparons le décret sur la protection des données, que devons-nous y mettre ?"
    assert read_audience(question).unsaid()
    answer = advisor.ask(question)
    assert answer.audience == "government"
    assert "d’après la manière dont la question est posée" in answer.answer
    switched = advisor.ask(question, audience="business")  # the switch still wins over a model's reading
    assert switched.audience == "business" and "d’après la manière" not in switched.answer
    # A topic question may be read too (a Digital Partnership is a state's business), but it stays a question
    # about the topic: said so, and led by the passage that describes the network, not by a recommendation.
    topic = advisor.ask("What is the Digital Partnership Network the EU wants to launch?")
    if topic.audience != "general":
        assert "as the question reads" in topic.answer
    assert topic.citations[0].section_id == "obj-partnerships"


@pytest.mark.slow  # runs the CLI
def test_a_missing_or_foreign_probe_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    """As a user meets it: the CLI with ADVISOR_AUDIENCE_MODEL_FILE pointing at nothing, then at another model's probe."""
    missing = run_cli(["ask", "What is Global Gateway?"], tmp_path / "data", ADVISOR_AUDIENCE_MODEL_FILE=str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr, missing.stderr
    assert missing.stderr.strip().splitlines() == [missing.stderr.strip()] and "ADVISOR_AUDIENCE_MODEL_FILE" in missing.stderr
    foreign = tmp_path / "foreign.json"
    raw = json.loads(SETTINGS.audience_model_file.read_text(encoding="utf-8"))
    foreign.write_text(json.dumps({**raw, "encoder": "another-encoder"}), encoding="utf-8")
    other = run_cli(["ask", "What is Global Gateway?"], tmp_path / "data", ADVISOR_AUDIENCE_MODEL_FILE=str(foreign))
    assert other.returncode == 2 and "retrain it" in other.stderr and "Traceback" not in other.stderr


def test_an_inferred_audience_says_whom_the_answer_is_for_not_that_advice_was_asked() -> None:
    """A topic question the model reads as a ministry's stays a question about the topic (descriptive,
    its own intent); the same audience said in words asks what the ministry should do."""
    guess = lambda text, about_self: "government"  # noqa: E731 - a stand-in for the model
    inferred = understand("What is the Digital Partnership Network the EU wants to launch?", max_chars=2000,
                          guess_audience=guess)
    assert (inferred.audience, inferred.audience_source) == ("government", "inferred")
    assert inferred.descriptive and inferred.intent != "advice"
    said = understand("Our ministry asks: what is the Digital Partnership Network the EU wants to launch?",
                      max_chars=2000, guess_audience=guess)
    assert (said.audience, said.audience_source) == ("government", "question")
    assert not said.descriptive and said.intent == "advice"
