"""LangChain retriever face of hybrid search, for runnable chains.

Kept apart from `retrieval` because `langchain_core.retrievers` pulls in the callback
machinery, which costs about half a second of `advisor ask` cold start that the CLI
never needs."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from advisor.retrieval import IndexSet, hybrid_search
from advisor.settings import Settings


class HybridRetriever(BaseRetriever):
    """LangChain face of `hybrid_search`, for use inside runnable chains."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    indexes: IndexSet
    embeddings: Embeddings
    settings: Settings
    audience: str = "general"
    collections: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = hybrid_search(query, self.audience, self.indexes, self.embeddings, self.settings, self.collections)
        out = []
        for passage in result.passages:
            meta = {**passage.metadata, "score": passage.score, "similarity": passage.similarity}
            out.append(Document(id=passage.document.id, page_content=passage.document.page_content, metadata=meta))
        return out
