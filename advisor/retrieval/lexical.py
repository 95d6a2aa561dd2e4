"""BM25 over the committed chunks: catches exact names (GDPR, eIDAS, Budapest Convention)."""

from __future__ import annotations

from dataclasses import dataclass

import bm25s
import numpy as np
from langchain_core.documents import Document

from advisor.text import terms


@dataclass
class LexicalIndex:
    documents: list[Document]
    _bm25: bm25s.BM25 | None = None

    @classmethod
    def build(cls, documents: list[Document]) -> LexicalIndex:
        index = cls(documents)
        if documents:
            bm25 = bm25s.BM25()
            bm25.index([terms(d.page_content) or ["\x00"] for d in documents], show_progress=False)
            index._bm25 = bm25
        return index

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[Document, float]]:
        """Top-k by BM25, skipping zero scores; `allowed` limits hits to these chunk ids."""
        tokens = terms(query)
        if self._bm25 is None or not tokens or k <= 0:
            return []
        scores = self._bm25.get_scores(tokens)
        if allowed is not None:
            mask = np.array([d.metadata.get("chunk_id") in allowed for d in self.documents])
            scores = np.where(mask, scores, 0.0)
        # Only the top k are needed: a partial selection instead of sorting every chunk's score
        # (a full argsort is ~7 ms per query at 100k chunks). Ties break by corpus order.
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]
        return [(self.documents[i], float(scores[i])) for i in top if scores[i] > 0]
