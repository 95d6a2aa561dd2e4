"""What retrieval hands on: passages with the scores that explain their rank."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.documents import Document

from advisor.models import Citation


@dataclass
class Passage:
    """A retrieved chunk with the scores that explain its rank."""

    document: Document
    score: float  # fused score after the audience adjustment
    similarity: float  # cosine similarity to the question
    dense_rank: int | None = None
    lexical_rank: int | None = None
    multilingual: float = 0.0  # best multilingual (e5) similarity of the passage's title or sentences

    @property
    def chunk_id(self) -> str:
        return self.document.metadata.get("chunk_id", self.document.id or "")

    @property
    def metadata(self) -> dict[str, Any]:
        return self.document.metadata

    def citation(self, n: int) -> Citation:
        """This passage as citation [n]; every backend cites through here so clients render all alike."""
        meta = self.metadata
        page = meta.get("page")
        return Citation(
            n=n,
            id=self.chunk_id,
            title=meta.get("title", ""),
            section=meta.get("section", ""),
            source=meta.get("source", ""),
            text=self.document.page_content,
            score=round(self.score, 6),
            section_id=meta.get("section_id", ""),
            doc_id=meta.get("doc_id", ""),
            collection=meta.get("collection", ""),
            page=page if isinstance(page, int) and page >= 0 else None,
            start=meta.get("start"),
            end=meta.get("end"),
        )


@dataclass
class SearchResult:
    passages: list[Passage]
    query_vector: list[float]
    timings_ms: dict[str, float] = field(default_factory=dict)
    multilingual_vector: np.ndarray | None = None  # the question in the multilingual space
    best_multilingual: float = 0.0  # best e5 similarity over every indexed sentence searched
