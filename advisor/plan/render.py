"""The plan as Markdown: what `POST /api/plan` returns in `markdown`, the .md export and the CLI print.

Word, PDF and the UI render the same parts in the same order (`plan_groups`, `meta_line`,
`notices`), so every format shows the same headings, steps, citations and sources.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.answer.render import source_line
from advisor.plan.models import Plan, PlanStep
from advisor.plan.rules import Headings


@dataclass(frozen=True)
class AreaGroup:
    title: str
    steps: list[PlanStep]


@dataclass(frozen=True)
class StageGroup:
    title: str
    areas: list[AreaGroup]


def plan_groups(plan: Plan) -> list[StageGroup]:
    """Consecutive steps of one stage, and within it of one area (the builder ordered them)."""
    stages: list[StageGroup] = []
    for step in plan.steps:
        if not stages or stages[-1].title != step.stage_title:
            stages.append(StageGroup(step.stage_title, []))
        areas = stages[-1].areas
        if not areas or areas[-1].title != step.focus_area_title:
            areas.append(AreaGroup(step.focus_area_title, []))
        areas[-1].steps.append(step)
    return stages


def marks(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def meta_line(plan_date: str, audience: str, headings: Headings, area_titles: list[str] | None) -> str:
    """"Date: … · Audience: … · Focus areas: …" (area_titles None: every area was asked for)."""
    areas = ", ".join(area_titles) if area_titles else headings["all_areas"]
    return (
        f"{headings['date']}: {plan_date} · {headings['audience']}: {headings.audience(audience)} · "
        f"{headings['focus_areas']}: {areas}"
    )


def notices(plan: Plan, headings: Headings) -> list[str]:
    """What the plan says once at the top: what the documents do not cover, steps added, quotes' language."""
    out = []
    if plan.not_covered:
        out.append(headings["not_covered"].format(items="; ".join(plan.not_covered)))
    out += plan.notes
    if headings.quotes_note:
        out.append(headings.quotes_note)
    return out


def step_origin(step: PlanStep, headings: Headings) -> str | None:
    return headings["from_document"].format(origin=step.origin) if step.origin else None


def plan_markdown(plan: Plan, headings: Headings) -> str:
    """The whole plan as Markdown: title, date and audience, steps by stage and area, sources with
    their passages, the attribution line and the not-advice footer."""
    lines = [f"# {plan.title}", "", f"*{plan.subtitle}*", ""]
    for notice in notices(plan, headings):
        lines += [f"> {notice}", ""]
    for stage in plan_groups(plan):
        lines += [f"## {stage.title}", ""]
        for area in stage.areas:
            lines += [f"### {area.title}", ""]
            for step in area.steps:
                # The why (and origin) are paragraphs of the step's list item: indented as wide as
                # its marker ("1. " or "10. "), after a blank line, so renderers keep them apart.
                pad = " " * (len(str(step.n)) + 2)
                lines += [f"{step.n}. {step.text} {marks(step.citations)}", ""]
                lines += [f"{pad}*{headings['why']}:* {step.why} {marks(step.citations)}", ""]
                where = step_origin(step, headings)
                if where:
                    lines += [f"{pad}*{where}*", ""]
    lines += [f"## {headings['sources']}", ""]
    for citation in plan.citations:
        lines += [source_line(citation), ""]
        lines += [f"> {line}" if line.strip() else ">" for line in citation.text.splitlines()]
        lines.append("")
    lines += ["---", ""]
    if plan.attribution:
        lines += [plan.attribution, ""]
    lines.append(f"*{plan.footer}*")
    return "\n".join(lines) + "\n"

