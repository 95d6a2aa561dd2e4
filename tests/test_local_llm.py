"""ADVISOR_LLM=local: the packaged model is joined and checked, llama.cpp's stream goes through the
same validated chain as any OpenAI-compatible server, and a missing piece is one clear error.

The last test runs the real packaged model; it only runs where the `local` extra is installed."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import collect
from llm_server import passages_in
from test_llm_backend import good_answer

from advisor.answer.llm.backend import LLMBackend, build_answer_backend
from advisor.answer.llm.chains import LLMConfigError, answer_chain, condense_chain, load_prompts
from advisor.answer.llm.local import MODELS, LlamaCppChat, PackagedModel, assemble
from advisor.components import Advisor
from advisor.settings import Settings

QUESTION = "How can my software company take part in Global Gateway projects?"


def fake_parts(root: Path, prefix: str, contents: list[bytes]) -> None:
    """Installable-looking part packages, each exposing get_part_path() like the real ones."""
    for i, data in enumerate(contents, start=1):
        package = root / f"{prefix}{i}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{i:02d}.bin").write_bytes(data)
        (package / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            f"    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'part{i:02d}.bin')\n"
        )


def test_parts_are_joined_once_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contents = [b"GGUF" + b"a" * 1000, b"b" * 2000, b"c" * 10]
    fake_parts(tmp_path / "site", "fakemodel_part", contents)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"".join(contents)
    model = PackagedModel("fake", "fakemodel_part{i}", 3, len(whole), hashlib.sha256(whole).hexdigest(), "fake.gguf")

    path = assemble(model, tmp_path / "models")
    assert path.read_bytes() == whole
    stamp = path.stat().st_mtime_ns
    assert assemble(model, tmp_path / "models").stat().st_mtime_ns == stamp  # not written again

    tampered = dataclasses.replace(model, sha256="0" * 64, filename="tampered.gguf")
    with pytest.raises(LLMConfigError, match="does not match its SHA-256"):
        assemble(tampered, tmp_path / "models")
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["fake.gguf"]  # nothing half-written

    missing = dataclasses.replace(model, parts=4, filename="missing.gguf")
    with pytest.raises(LLMConfigError, match="fakemodel_part4 is not installed"):
        assemble(missing, tmp_path / "models")


class ScriptedLlama:
    """Stands in for llama_cpp.Llama: streams a faithful answer to the passages it was given."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def create_chat_completion(self, messages: list[dict[str, str]], **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append({"messages": messages, **kwargs})
        assert kwargs["stream"] is True
        text = good_answer({"messages": messages})
        yield {"choices": [{"delta": {"role": "assistant"}}]}
        for start in range(0, len(text), 7):
            yield {"choices": [{"delta": {"content": text[start : start + 7]}}]}


def test_llama_cpp_stream_goes_through_the_validated_chain(advisor: Advisor) -> None:
    llama = ScriptedLlama()
    chat = LlamaCppChat(llama=llama, model_name="scripted", max_tokens=300)
    prompts = load_prompts(advisor.settings.prompts_dir, advisor.settings.llm_prompt_version)
    backend = LLMBackend(
        settings=advisor.settings,
        taxonomy=advisor.taxonomy,
        chain=answer_chain(prompts, chat),
        condenser=condense_chain(prompts, chat),
        name="local:scripted",
    )
    local = dataclasses.replace(advisor, answer_backend=backend)
    deltas, answer = collect(local.stream(QUESTION, audience="business"))
    assert answer.backend == "local:scripted", answer.notes
    assert len(deltas) > 2 and "".join(deltas).strip() == answer.answer.strip()
    call = llama.calls[0]
    assert [m["role"] for m in call["messages"]] == ["system", "user"]
    assert call["max_tokens"] == 300 and passages_in({"messages": call["messages"]})
    assert answer.in_scope and answer.actions and all(a.citations for a in answer.actions)


def test_without_llama_cpp_the_error_says_how_to_install(advisor: Advisor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import fails as if not installed
    settings = Settings(**{**advisor.settings.model_dump(), "llm": "local"})
    with pytest.raises(LLMConfigError, match=r"needs llama-cpp-python: pip install -e '\.\[local\]'"):
        build_answer_backend(settings, advisor.taxonomy)


def _real_model_installed() -> bool:
    model = next(iter(MODELS.values()))
    return all(
        importlib.util.find_spec(name) is not None
        for name in ["llama_cpp", *(model.module_pattern.format(i=i) for i in range(1, model.parts + 1))]
    )


@pytest.mark.skipif(not _real_model_installed(), reason="the optional `local` extra is not installed")
def test_the_packaged_model_answers_or_falls_back_with_a_reason(advisor: Advisor) -> None:
    settings = Settings(**{**advisor.settings.model_dump(), "llm": "local", "llm_context_tokens": 1200})
    local = dataclasses.replace(advisor, settings=settings, answer_backend=build_answer_backend(settings, advisor.taxonomy))
    answer = local.ask(QUESTION, audience="business")
    if answer.backend.startswith("local:"):
        numbers = {c.n for c in answer.citations}
        assert answer.in_scope and all(set(a.citations) <= numbers for a in answer.actions)
    else:  # a fallback names its reason and is exactly the composer's answer
        assert answer.notes[0].startswith("fallback to the grounded composer: "), answer.notes
        assert len(answer.notes[0]) > len("fallback to the grounded composer: ") + 10, answer.notes
        assert answer.answer == advisor.ask(QUESTION, audience="business").answer
