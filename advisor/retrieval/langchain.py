"""LangChain retriever face of the `Retriever`, for runnable chains.

Kept apart from `retriever` because `langchain_core.retrievers` pulls in the callback
machinery, which costs about half a second of `advisor ask` cold start that the CLI
never needs."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from advisor.query.understand import understand
from advisor.retrieval.retriever import Retriever


class HybridRetriever(BaseRetriever):
    """LangChain face of `Retriever.search`, for use inside runnable chains."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    audience: str = "general"
    collections: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        understood = understand(
            query, self.audience, max_chars=self.retriever.settings.max_question_chars,
            max_parts=self.retriever.settings.max_question_parts,
        )
        result = self.retriever.search(understood, self.collections)
        out = []
        for passage in result.passages:
            meta = {**passage.metadata, "score": passage.score, "similarity": passage.similarity}
            out.append(Document(id=passage.document.id, page_content=passage.document.page_content, metadata=meta))
        return out
