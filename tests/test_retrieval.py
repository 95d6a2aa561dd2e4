import pytest
from helpers import search

from advisor.query.audience import detect_audience
from advisor.retrieval.fusion import reciprocal_rank_fusion

SAMPLES = [
    ("How can my startup get EU money for an AI project abroad?", "business", "biz-tech-offer"),
    ("Our ministry wants a national ID that works with European systems. What should we do?", "government", "gov-dpi"),
    ("What should our telecom company do about network security and trusted suppliers?", "business", "biz-infrastructure"),
    ("How should our country update its cybercrime legislation and CERT?", "government", "gov-cybersecurity"),
    ("What does the strategy say about protecting children and platform accountability?", "general", None),
]


@pytest.mark.parametrize(("question", "audience", "expected"), SAMPLES)
def test_sample_questions_rank_the_answering_section_first(advisor, question, audience, expected):
    assert detect_audience(question) == audience
    result = search(advisor, question, audience)
    sections = [p.metadata["section_id"] for p in result.passages]
    if expected:
        assert sections[0] == expected
    else:
        assert {"fa-platforms-rights", "biz-platforms", "gov-platforms"} & set(sections[:2])
    scores = [p.score for p in result.passages]
    assert scores == sorted(scores, reverse=True)


def test_audience_puts_that_audiences_recommendation_first(advisor):
    question = "How do we get involved in the EU's digital partnerships and dialogues?"
    for audience, expected in (("business", "biz-partnerships"), ("government", "gov-partnerships")):
        result = search(advisor, question, audience)
        assert result.passages[0].metadata["section_id"] == expected


def test_lexical_side_finds_exact_names(advisor):
    lexical = advisor.retriever.lexical(advisor.settings.collection)
    hits = lexical.search("Budapest Convention", 3)
    assert hits[0][0].metadata["section_id"] == "gov-cybersecurity"


def test_rrf_rewards_agreement():
    fused = reciprocal_rank_fusion([(["a", "b"], 1.0), (["b", "c"], 1.0)], k=60)
    assert max(fused, key=fused.get) == "b"
    assert set(fused) == {"a", "b", "c"}


def test_langchain_retriever_face(advisor):
    from advisor.retrieval.langchain import HybridRetriever

    retriever = HybridRetriever(retriever=advisor.retriever, audience="government")
    docs = retriever.invoke("eIDAS compatible digital identity")
    assert docs and docs[0].metadata["section_id"] in {"gov-dpi", "fa-dpi-identity", "biz-dpi"}
    assert "score" in docs[0].metadata
