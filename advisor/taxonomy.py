"""The strategy's structure (objectives, focus areas, recommendations) with stable ids."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from advisor.settings import ConfigError
from advisor.yamlfile import load_yaml

# Joins a chunk's heading path in its `section` metadata ("Part > Section > Subsection").
SECTION_SEPARATOR = " > "


@dataclass(frozen=True)
class Area:
    id: str
    title: str
    kind: str  # "objective" | "focus_area"


@dataclass(frozen=True)
class Recommendation:
    id: str
    title: str
    audience: str  # "business" | "government"
    serves: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    areas: tuple[Area, ...]
    recommendations: tuple[Recommendation, ...]
    sections: dict[str, str] = field(default_factory=dict)  # heading title -> id
    unindexed: frozenset[str] = frozenset()  # section ids kept in the document but not searched
    # Section ids that frame the whole document (introduction, conclusion, "why businesses should act"):
    # true of every topic a little, so they explain a question on one topic only when nothing else does.
    framing: frozenset[str] = frozenset()

    def area(self, area_id: str) -> Area | None:
        return next((a for a in self.areas if a.id == area_id), None)

    def by_title(self, title: str) -> Area | Recommendation | None:
        key = normalize_title(title)
        for item in (*self.areas, *self.recommendations):
            if normalize_title(item.title) == key:
                return item
        return None

    def section_id(self, title: str) -> str | None:
        item = self.by_title(title)
        if item is not None:
            return item.id
        return self.sections.get(normalize_title(title))

    def titles(self, area_ids: list[str]) -> list[str]:
        return [a.title for a in (self.area(i) for i in area_ids) if a is not None]

    def areas_served(self, metadatas: list[dict[str, Any]]) -> list[str]:
        """Area titles that cited passages serve, in order: every area of the first passage, then
        the primary area of each later one. Every backend names its focus areas through here."""
        ids: list[str] = []
        for i, meta in enumerate(metadatas):
            serves = [a for a in str(meta.get("focus_areas", "")).split(",") if a]
            ids.extend(serves if i == 0 else serves[:1])
        return self.titles(list(dict.fromkeys(ids)))


def normalize_title(title: str) -> str:
    return re.sub(r"\s+", " ", title.replace("’", "'")).strip().casefold()


def configured_taxonomy(path: Path) -> Taxonomy:
    """The taxonomy ADVISOR_TAXONOMY_FILE names. A file that cannot be read as one is a ConfigError, which
    the CLI and server report in one line, not a traceback."""
    try:
        return load_taxonomy(path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError) as exc:
        raise ConfigError(f"ADVISOR_TAXONOMY_FILE: {path} cannot be read as a taxonomy ({exc})") from exc


def load_taxonomy(path: Path) -> Taxonomy:
    """Read the taxonomy file; fail loudly on duplicate ids, which would corrupt citations."""
    raw = load_yaml(path)
    areas = [Area(a["id"], a["title"], "objective") for a in raw.get("objectives", [])]
    areas += [Area(a["id"], a["title"], "focus_area") for a in raw.get("focus_areas", [])]
    recs = [
        Recommendation(r["id"], r["title"], audience, tuple(r.get("serves", [])))
        for audience, items in (raw.get("recommendations") or {}).items()
        for r in items
    ]
    sections = {normalize_title(s["title"]): s["id"] for s in raw.get("sections", [])}
    ids = [a.id for a in areas] + [r.id for r in recs] + list(sections.values())
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate ids in {path}: {sorted(duplicates)}")
    known = {a.id for a in areas}
    for rec in recs:
        unknown = set(rec.serves) - known
        if unknown:
            raise ValueError(f"{rec.id} serves unknown areas {sorted(unknown)}")
    unindexed = frozenset(s["id"] for s in raw.get("sections", []) if s.get("index") is False)
    framing = frozenset(s["id"] for s in raw.get("sections", []) if s.get("framing") is True)
    return Taxonomy(tuple(areas), tuple(recs), sections, unindexed, framing)
