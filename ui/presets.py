"""Example questions per persona and named workshop presets (ui/workshops.yaml).

Trainers pick a workshop by URL parameter or snippet attribute; the preset decides the audience
and the starter questions. Unknown names fall back to the persona examples instead of failing,
because a typo in a workshop page should not break the chat for the room.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from advisor.yamlfile import load_yaml

PERSONA_EXAMPLES: dict[str, list[str]] = {
    "SME": [
        "How can SMEs get funding through the EU Tech Business Offer?",
        "Which digital partnerships and dialogues can my startup join?",
        "What does the strategy expect from companies on cybersecurity?",
    ],
    "Civil servant": [
        "Which steps should our ministry take to align data protection law with the EU?",
        "How can our government build digital public infrastructure with EU support?",
        "How should governments cooperate with the EU on cybersecurity?",
    ],
    "Trainer": [
        "What are the strategy's three strategic objectives?",
        "Which priority focus areas does the strategy name?",
        "Why should businesses act on the strategy now?",
    ],
}
AUDIENCE_VALUES = ("auto", "business", "government")


@dataclass(frozen=True)
class Workshop:
    id: str
    title: str
    audience: str = "auto"
    starters: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Preset:
    audience: str
    title: str | None
    starters: list[str]


def load_workshops(path: Path) -> dict[str, Workshop]:
    """Workshops by id; a missing file means none. Bad audiences fail loudly at start-up."""
    if not path.exists():
        return {}
    raw = load_yaml(path) or {}
    out = {}
    for wid, item in (raw.get("workshops") or {}).items():
        audience = str(item.get("audience", "auto"))
        if audience not in AUDIENCE_VALUES:
            raise ValueError(f"{path}: workshop {wid!r} has audience {audience!r}; use one of {AUDIENCE_VALUES}")
        starters = [str(s) for s in item.get("starters") or []]
        out[str(wid)] = Workshop(str(wid), str(item.get("title", wid)), audience, starters)
    return out


def preset_from_query(params: Mapping[str, str], workshops: Mapping[str, Workshop]) -> Preset:
    """Audience and starter questions from `?audience=...&workshop=...` (audience wins over the workshop's)."""
    workshop = workshops.get(params.get("workshop", ""))
    audience = params.get("audience", "").lower()
    if audience == "any":
        audience = "auto"
    if audience not in AUDIENCE_VALUES:
        audience = workshop.audience if workshop else "auto"
    if workshop is not None:
        return Preset(audience, workshop.title, workshop.starters)
    return Preset(audience, None, [])
