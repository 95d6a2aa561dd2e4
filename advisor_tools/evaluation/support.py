"""Offline support check for ALCE-style citation recall and precision.

No package here ships an entailment (NLI) model, so "passage supports statement" is decided by
three cheap tests, in order:

1. Quote: the statement, with citation markers removed and case, quotes, dashes and spaces
   normalised, is a substring of the passage. The grounded composer copies sentences, so its
   statements pass here.
2. Otherwise, paraphrase: at least `support_min_term_coverage` of the statement's content terms
   (stemmed, stopwords removed) occur in the passage, every figure the statement states occurs in
   the passage, and the statement's embedding is at least `support_min_similarity` cosine-similar
   to the passage's closest sentence.
3. Anything else is unsupported.

Blind spots (read the figures with these in mind): a quote taken out of context passes even if
the surrounding passage qualifies it; negation and modality flips ("should" -> "must not") pass
the paraphrase test when the terms overlap; a faithful paraphrase with new wording fails it
(under-counts support for LLM answers); support says nothing about whether the passage answers
the question (retrieval metrics cover that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from advisor.answer.grounding import numbers_in, strip_citations
from advisor.text import split_sentences, terms

_SPACE = re.compile(r"\s+")
_TRANSLATE = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def normalise(text: str) -> str:
    return _SPACE.sub(" ", strip_citations(text).translate(_TRANSLATE)).strip().lower().rstrip(".")


@dataclass
class SupportChecker:
    """Decides support offline; `encode` maps texts to unit vectors (the MiniLM encoder)."""

    encode: object  # Callable[[list[str]], np.ndarray]
    min_term_coverage: float
    min_similarity: float

    def supports(self, statement: str, passages: list[str]) -> bool:
        if not passages:
            return False
        norm = normalise(statement)
        if not norm:
            return True
        joined = " ".join(passages)
        if norm in normalise(joined):
            return True
        if not numbers_in(statement) <= numbers_in(joined):
            return False
        wanted = set(terms(statement))
        have = set(terms(joined))
        if wanted and len(wanted & have) / len(wanted) < self.min_term_coverage:
            return False
        sentences = [joined[a:b] for a, b in split_sentences(joined)] or [joined]
        vectors = self.encode([strip_citations(statement), *sentences])
        return float(np.max(vectors[1:] @ vectors[0])) >= self.min_similarity

    def citation_scores(self, statement: str, cited: list[str]) -> tuple[bool, list[bool]]:
        """ALCE: recall = the cited passages together support the statement; a citation is
        precise when it supports the statement alone, or when removing it breaks the support."""
        supported = self.supports(statement, cited)
        precise = []
        for i, passage in enumerate(cited):
            alone = self.supports(statement, [passage])
            needed = supported and not self.supports(statement, cited[:i] + cited[i + 1 :])
            precise.append(alone or needed)
        return supported, precise
