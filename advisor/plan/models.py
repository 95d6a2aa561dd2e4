"""The plan contract shared by the CLI, /api/plan and the Plan tab."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.models import Citation

PlanAudience = Literal["business", "government"]
ExportFormat = Literal["md", "docx", "pdf"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("md", "docx", "pdf")


class Profile(BaseModel):
    """Who the plan is for. It only chooses and orders steps; none of it is written into a step."""

    model_config = ConfigDict(extra="forbid")
    sector: str = Field("", description="Business: the sector, e.g. 'fintech' or 'telecom'.")
    size: str = Field("", description="Business: the size, e.g. 'startup' or 'SME'.")
    institution: str = Field("", description="Government: the institution, e.g. 'ministry of digital affairs'.")
    region: str = Field("", description="Both: the region or country, as free text.")

    def items(self) -> list[tuple[str, str]]:
        """(field, value) of every field that was filled in, stripped."""
        return [(name, " ".join(value.split())) for name, value in self.model_dump().items() if value and value.strip()]

    @property
    def text(self) -> str:
        return " ".join(value for _, value in self.items())


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    audience: PlanAudience = Field(description="Whose steps: business or government.")
    focus_areas: list[str] = Field(
        default_factory=list,
        description="Objective / focus-area ids from GET /api/focus-areas, or short names such as 'dpi' and "
        "'cybersecurity' (knowledge/plan.yaml); empty or 'all': every area.",
    )
    profile: Profile | None = Field(None, description="Optional; chooses and orders steps, never adds text.")
    language: str = Field("en", description="Language of the headings (en, fr, es, pt, de, ar); quotes stay verbatim.")
    include_workspace: bool = Field(True, description="May add steps quoted from the workspace's documents.")


class PlanStep(BaseModel):
    n: int
    key: str = Field(description="Stable id of the step (its source and sentence), e.g. for ticking it off.")
    stage: str
    stage_title: str
    focus_area: str = Field(description="Objective / focus-area id the step is grouped under.")
    focus_area_title: str
    text: str = Field(description="An action for the audience, quoted verbatim from the cited passage.")
    why: str = Field(description="An outcome or description sentence quoted verbatim from the same passage.")
    citations: list[int]
    origin: str | None = Field(None, description="For steps from the user's documents: document and page.")


class Plan(BaseModel):
    title: str
    subtitle: str = Field(description="Date, audience and focus areas, in the plan's language.")
    audience: PlanAudience
    language: str
    date: str
    focus_areas: list[str] = Field(description="The area ids asked for.")
    steps: list[PlanStep]
    citations: list[Citation]
    not_covered: list[str] = Field(
        description="Chosen focus areas no step covers, and profile words the documents never mention."
    )
    notes: list[str] = Field(default_factory=list, description="Other caveats, e.g. steps added from related areas.")
    attribution: str = Field(description="The knowledge base's attribution line.")
    footer: str
    markdown: str
