"""Offline checks of answer content: are the actions instructions for the asker, does any sentence
end on a colon with nothing after it, are overviews complete? (issue: answers a user can act on)."""

from __future__ import annotations

import re
from typing import Any

from advisor.answer.actions import classify
from advisor.models import Answer
from advisor.taxonomy import Taxonomy

_LIST_OR_HEADING = re.compile(r"^\s*(\d+[.)]|[-*•]|\*\*)")
_LIST_INTRO = {
    "objectives": "objective",
    "focus areas": "focus_area",
}


def dangling_colon(text: str) -> bool:
    """A line ending on a colon that no list or heading follows: a list announced, not given."""
    lines = [line for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        stripped = re.sub(r"(\s*\[\d+\])+\s*$", "", line.strip())
        if stripped.endswith(":") and not stripped.startswith("**"):
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if not _LIST_OR_HEADING.match(following):
                return True
    return False


def overview_complete(answer: Answer, taxonomy: Taxonomy) -> bool | None:
    """For an answer that lists objectives, focus areas or recommendations: are all of them there?"""
    text = answer.answer
    kinds = {"objective": [a.title for a in taxonomy.areas if a.kind == "objective"],
             "focus_area": [a.title for a in taxonomy.areas if a.kind == "focus_area"]}
    for audience in ("business", "government"):
        kinds[audience] = [r.title for r in taxonomy.recommendations if r.audience == audience]
    listed = {kind: sum(1 for title in titles if f"**{title}**" in text) for kind, titles in kinds.items()}
    started = [kind for kind, n in listed.items() if n >= 2]  # a list of that kind was begun
    if not started:
        return None
    return all(listed[kind] == len(kinds[kind]) for kind in started)


def answer_quality(answer: Answer, taxonomy: Taxonomy) -> dict[str, Any]:
    """Per-answer facts the run's quality metrics aggregate."""
    for_asker = []
    for action in answer.actions:
        role = classify(action.text, answer.audience if answer.audience != "general" else "general")
        for_asker.append(role.is_action_for(answer.audience))
    return {
        "actions_for_asker": for_asker,
        "action_texts": [a.text for a in answer.actions],
        "dangling_colon": dangling_colon(answer.answer),
        "overview_complete": overview_complete(answer, taxonomy),
        "words": len(re.findall(r"\w+", answer.answer)),
    }
