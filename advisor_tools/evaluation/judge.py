"""Optional LLM judge: RAGAS-style faithfulness (share of an answer's statements that its cited
passages support), asked of the same OpenAI-compatible endpoint the LLM backend uses.

Never on by default: `advisor eval --judge` with an LLM configured. It complements the offline
support check (advisor/evaluation/support.py), which cannot recognise faithful paraphrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable

from advisor.settings import Settings

_VERDICT = re.compile(r"^\s*(\d+)\s*[:.)-]\s*(yes|no)\b", re.I | re.M)


@dataclass
class Judge:
    chain: Runnable

    def verdicts(self, statements: list[str], passages: list[str]) -> list[bool | None]:
        """One verdict per statement; None where the model's reply names none for it."""
        if not statements:
            return []
        reply = self.chain.invoke(
            {
                "passages": "\n\n".join(f"[{i}] {p}" for i, p in enumerate(passages, start=1)),
                "statements": "\n".join(f"{i}. {s}" for i, s in enumerate(statements, start=1)),
            }
        )
        found = {int(n): v.lower() == "yes" for n, v in _VERDICT.findall(reply)}
        return [found.get(i) for i in range(1, len(statements) + 1)]


def build_judge(settings: Settings) -> Judge:
    """Raises advisor.answer.llm.chains.LLMConfigError when no endpoint is configured."""
    from advisor.answer.llm.chains import chat_model

    version = settings.llm_prompt_version
    path = settings.prompts_dir / f"judge.{version}.md"
    if not path.exists():
        path = settings.prompts_dir / "judge.v1.md"
    prompt = ChatPromptTemplate.from_messages([("human", path.read_text(encoding="utf-8").strip())])
    return Judge(prompt | chat_model(settings) | StrOutputParser())
