"""Plan endpoints: POST /api/plan (the plan as JSON) and POST /api/plan/export (as a file).

Both take the same body, so a client can show a plan and then download exactly that plan. Bad
input (an unknown audience, focus area or language, an oversized profile) is refused with the
one error model before any work is done.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from advisor.http.deps import AdvisorDep
from advisor.http.errors import responses
from advisor.plan.builder import build_plan
from advisor.plan.exports import MEDIA_TYPES, export_plan
from advisor.plan.models import ExportFormat, Plan, PlanRequest

ERRORS = responses(413, 422, 429, 503)
router = APIRouter(prefix="/api/plan", tags=["plan"])


@router.post("", response_model=Plan, responses=ERRORS)
def post_plan(body: PlanRequest, advisor: AdvisorDep) -> Plan:
    """Five to twelve steps quoted from the strategy, each with its [n] citation and a quoted "why",
    grouped by focus area and ordered foundations first; `markdown` is the same plan as text."""
    return build_plan(advisor, body)


@router.post(
    "/export",
    responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}, "description": "The plan as a file."}, **ERRORS},
)
def post_plan_export(
    body: PlanRequest,
    advisor: AdvisorDep,
    format: Annotated[ExportFormat, Query(description="md (Markdown), docx (Word) or pdf.")] = "md",
) -> Response:
    """The same plan as POST /api/plan, as a Markdown, Word or PDF file to download."""
    file = export_plan(build_plan(advisor, body), format, advisor.settings)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )
