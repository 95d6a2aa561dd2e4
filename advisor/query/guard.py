"""Manipulation attempts: questions that try to change the assistant's rules, not ask about the strategy.

One rule for documents and questions where they overlap (the quotable rule's injection and
directive patterns) plus the jailbreak phrasings only a question uses, kept as data in
knowledge/manipulation.yaml.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from advisor.answer.quotable import is_directive
from advisor.settings import PROJECT_ROOT
from advisor.yamlfile import load_yaml

MANIPULATION_FILE = PROJECT_ROOT / "knowledge" / "manipulation.yaml"


@lru_cache(maxsize=4)
def _patterns(path: Path = MANIPULATION_FILE) -> re.Pattern[str]:
    raw = load_yaml(path) or {}
    return re.compile("|".join(f"(?:{p})" for p in raw.get("patterns", [])), re.IGNORECASE)


def is_manipulation(question: str) -> bool:
    """The question tries to instruct, reconfigure or unmask the assistant."""
    return is_directive(question) or bool(_patterns().search(question))
