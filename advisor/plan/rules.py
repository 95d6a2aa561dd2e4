"""The plan's data: the ordering rule (knowledge/plan.yaml) and its headings (knowledge/plan_headings.yaml).

Both are data so that a policy officer can change the order of stages, add a short name for a
focus area or correct a translation without touching code. They are checked against the taxonomy
when read: a stage naming an unknown area, or an area in no stage, fails loudly instead of
silently dropping steps from every plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from advisor.query.audience import audience_name
from advisor.query.language import Language
from advisor.query.language import languages as answer_languages
from advisor.taxonomy import Taxonomy, normalize_title
from advisor.yamlfile import load_yaml

ALL = "all"
# Every language must give these (the renderers read each one).
REQUIRED_HEADINGS = (
    "title", "date", "audience", "focus_areas", "all_areas", "why", "sources", "not_covered", "padded",
    "from_document", "footer", "kinds", "stages",
)
KINDS = ("sector", "size", "institution", "region", "focus_area")


@dataclass(frozen=True)
class Stage:
    id: str
    areas: tuple[str, ...]


@dataclass(frozen=True)
class PlanRules:
    """Stages in order (foundations first) and the short names users may give for areas."""

    stages: tuple[Stage, ...]
    aliases: dict[str, str]

    @property
    def order(self) -> list[str]:
        """Every area id, in the order plans list them."""
        return [area for stage in self.stages for area in stage.areas]

    def stage_of(self, area_id: str) -> str:
        return next(s.id for s in self.stages if area_id in s.areas)

    def resolve(self, names: list[str] | None) -> list[str]:
        """Area ids (in plan order) for ids or short names; none or "all" means every area.
        An unknown name is a ValueError that lists what is accepted."""
        wanted = [n.strip().lower() for n in names or [] if n and n.strip()]
        if not wanted or ALL in wanted:
            return self.order
        known = set(self.order)
        ids, unknown = set(), []
        for name in wanted:
            area = name if name in known else self.aliases.get(name)
            if area is None:
                unknown.append(name)
            else:
                ids.add(area)
        if unknown:
            accepted = ", ".join([*self.order, *sorted(self.aliases)])
            raise ValueError(f"unknown focus area {', '.join(repr(u) for u in unknown)}; use one of: {accepted}, all")
        return [area for area in self.order if area in ids]


@lru_cache(maxsize=8)
def _read_yaml(path: Path) -> dict[str, Any]:
    return load_yaml(path) or {}


def load_rules(path: Path, taxonomy: Taxonomy) -> PlanRules:
    """Read the ordering rule; every taxonomy area must sit in exactly one stage."""
    raw = _read_yaml(path)
    stages = tuple(Stage(str(s["id"]), tuple(str(a) for a in s.get("areas", []))) for s in raw.get("stages", []))
    placed = [a for s in stages for a in s.areas]
    areas = {a.id for a in taxonomy.areas}
    problems = []
    if set(placed) - areas:
        problems.append(f"unknown areas {sorted(set(placed) - areas)}")
    if areas - set(placed):
        problems.append(f"areas in no stage {sorted(areas - set(placed))}")
    if len(placed) != len(set(placed)):
        problems.append("an area is in two stages")
    aliases = {str(k).lower(): str(v) for k, v in (raw.get("aliases") or {}).items()}
    if set(aliases.values()) - areas:
        problems.append(f"aliases name unknown areas {sorted(set(aliases.values()) - areas)}")
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return PlanRules(stages, aliases)


@dataclass(frozen=True)
class Headings:
    """One language's plan headings and labels, with what answers in that language already say
    (its name, direction, audience names, the note that quotes stay in English); quotes are never
    translated."""

    language: str
    values: dict[str, Any]
    shared: Language  # the answers' entry for this language (knowledge/languages.yaml)

    def __getitem__(self, key: str) -> str:
        return str(self.values[key])

    @property
    def name(self) -> str:
        return self.shared.name

    @property
    def rtl(self) -> bool:
        return self.shared.direction == "rtl"

    @property
    def quotes_note(self) -> str:
        return self.shared.strings.get("quotes_note", "")

    def audience(self, audience: str) -> str:
        return self.shared.audiences.get(audience) or audience_name(audience, "label")

    def area(self, area_id: str, taxonomy: Taxonomy) -> str:
        named = self.values.get("areas") or {}
        area = taxonomy.area(area_id)
        return str(named.get(area_id) or (area.title if area else area_id))

    def stage(self, stage_id: str) -> str:
        return str(self.values["stages"].get(stage_id, stage_id))

    def kind(self, kind: str) -> str:
        return str(self.values["kinds"].get(kind, kind))


@lru_cache(maxsize=8)
def load_headings(path: Path) -> dict[str, Headings]:
    """Every language of the headings file, each checked for the keys the renderers read and for
    an entry among the answers' languages."""
    raw = _read_yaml(path)
    answered = answer_languages()
    out: dict[str, Headings] = {}
    for language, values in raw.items():
        missing = [k for k in REQUIRED_HEADINGS if k not in (values or {})]
        missing += [f"kinds.{k}" for k in KINDS if k not in (values or {}).get("kinds", {})]
        if str(language) not in answered:
            missing.append("an entry in knowledge/languages.yaml")
        if missing:
            raise ValueError(f"{path}: language '{language}' lacks {', '.join(missing)}")
        out[str(language)] = Headings(str(language), dict(values), answered[str(language)])
    if not out:
        raise ValueError(f"{path}: no language")
    return out


def headings_for(path: Path, language: str | None) -> Headings:
    """The headings of one language (default English); an unknown language is a ValueError."""
    languages = load_headings(path)
    key = (language or "en").strip().lower()
    if key not in languages:
        raise ValueError(f"unknown language '{language}'; plans are available in: {', '.join(languages)}")
    return languages[key]


def attribution(knowledge_dir: Path, taxonomy: Taxonomy) -> str:
    """The knowledge base's attribution line ("Summary by ..."): the body of the sections the
    taxonomy keeps in the document but never indexes. Every export carries it."""
    titles = frozenset(title for title, section_id in taxonomy.sections.items() if section_id in taxonomy.unindexed)
    return _attribution(knowledge_dir, titles)


@lru_cache(maxsize=8)
def _attribution(knowledge_dir: Path, titles: frozenset[str]) -> str:
    from advisor.indexing.chunking import parse_sections  # the splitter stack, only once per process

    lines = []
    for path in sorted(knowledge_dir.glob("*.md")):
        _, sections = parse_sections(path.read_text(encoding="utf-8"))
        lines += [" ".join(s.body.split()) for s in sections if s.title and normalize_title(s.title) in titles]
    return " ".join(dict.fromkeys(lines))
