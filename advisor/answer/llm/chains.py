"""The language model and its prompts, as LangChain runnables: `prompt | model | text`.

Any server that speaks the OpenAI chat-completions API works (OpenAI, Ollama, vLLM, llama.cpp
server, LM Studio): `ChatOpenAI` is pointed at it with the standard OPENAI_API_KEY and
OPENAI_BASE_URL. Prompts are files in prompts/ named `<name>.<version>.md`, so a prompt change
is a reviewed file change and ADVISOR_LLM_PROMPT_VERSION can pin or compare versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable
from langchain_openai import ChatOpenAI

from advisor.settings import ConfigError, Settings

# Local servers (Ollama, vLLM) ignore the key, but the OpenAI client refuses to start without one.
PLACEHOLDER_KEY = "not-needed"


class LLMConfigError(ConfigError):
    """The LLM backend was asked for but cannot be set up; reported once, at start-up."""


class DeadlineExceeded(TimeoutError):
    """The server kept streaming past ADVISOR_LLM_DEADLINE_S."""


@dataclass(frozen=True)
class Prompts:
    version: str
    system: str
    answer: str
    condense: str


def load_prompts(prompts_dir: Path, version: str) -> Prompts:
    texts = {}
    for name in ("system", "answer", "condense"):
        path = prompts_dir / f"{name}.{version}.md"
        try:
            texts[name] = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError as exc:
            raise LLMConfigError(f"prompt file missing: {path}") from exc
    return Prompts(version=version, **texts)


def chat_model(settings: Settings) -> ChatOpenAI:
    """The configured model; retries (429, 5xx, connection errors) are the OpenAI client's,
    with its exponential backoff."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if not key and not settings.openai_base_url:
        raise LLMConfigError(
            "ADVISOR_LLM=openai needs OPENAI_API_KEY, or OPENAI_BASE_URL for a local server such as Ollama or vLLM"
        )
    return ChatOpenAI(
        model=settings.llm_model,
        api_key=key or PLACEHOLDER_KEY,
        base_url=settings.openai_base_url,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        stream_usage=False,
    )


def answer_chain(prompts: Prompts, model: BaseChatModel) -> Runnable:
    """Inputs: passages (numbered blocks), question, audience. Output: answer text."""
    prompt = ChatPromptTemplate.from_messages([("system", prompts.system), ("human", prompts.answer)])
    return prompt | model | StrOutputParser()


def condense_chain(prompts: Prompts, model: BaseChatModel) -> Runnable:
    """Inputs: history (one turn per line), question. Output: a standalone question."""
    prompt = ChatPromptTemplate.from_messages([("human", prompts.condense)])
    return prompt | model | StrOutputParser()


def failure_reason(exc: BaseException, settings: Settings) -> str:
    """One line for Answer.notes saying why the model's answer is not shown."""
    if isinstance(exc, DeadlineExceeded):
        return f"the model did not finish its answer within {settings.llm_deadline_s:g} s"
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        return f"the model did not answer within {settings.llm_timeout_s:g} s"
    if isinstance(exc, openai.RateLimitError):
        return "the model server is rate limiting requests (HTTP 429)"
    if isinstance(exc, openai.APIStatusError):
        return f"the model server returned HTTP {exc.status_code}"
    if isinstance(exc, openai.APIConnectionError):
        return f"could not reach the model server at {settings.openai_base_url or 'api.openai.com'}"
    return f"the model call failed ({type(exc).__name__})"
