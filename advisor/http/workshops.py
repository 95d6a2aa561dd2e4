"""Workshop endpoints: trainers create, list, read and delete workshops; participants ask inside one.

Trainer endpoints need the trainer key (or the admin key) as `Authorization: Bearer KEY`. What a
participant needs is public: the workshop behind a join code (`GET /api/join/{code}`), the two
optional fields `workshop` and `participant` on /api/ask and /api/chat (`WorkshopFields`), and
thumbs on their own logged answers. A request naming an unknown or expired workshop gets a 404
JSON error before any answer is computed; a logged answer's id comes back in the
`X-Workshop-Entry` header, for the thumbs.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from advisor.answer.events import AnswerEvent, StreamEvent
from advisor.http.dashboard import dashboard_html
from advisor.http.deps import AdvisorDep, TrainerDep
from advisor.http.errors import ApiError, responses
from advisor.http.limits import Room, RoomOf
from advisor.models import Answer
from advisor.storage.workshops import Workshop, WorkshopStore
from advisor.taxonomy import Taxonomy
from advisor.workshops import (
    ENTRY_ID_PATTERN,
    PARTICIPANT_PATTERN,
    REASON_MAX_CHARS,
    WORKSHOP_ID_PATTERN,
    WorkshopCreate,
    checked_workshop,
    export_csv,
    logged_question,
    summarize,
)

# The answering endpoints that take `workshop` and `participant` (and so get room-sized limits).
WORKSHOP_PATHS = ("/api/ask", "/api/chat")
ENTRY_HEADER = "X-Workshop-Entry"
MS_PER_SECOND = 1000
JOIN_CODE_MAX_CHARS = 32  # what a participant may type, dashes and spaces included
TRAINER_ERRORS = responses(401, 403, 404, 422)

WorkshopId = Annotated[str, Path(pattern=WORKSHOP_ID_PATTERN, description="The workshop's id.")]


class WorkshopFields(BaseModel):
    """Two optional fields of /api/ask and /api/chat for requests made inside a workshop."""

    workshop: str | None = Field(
        None, pattern=WORKSHOP_ID_PATTERN, description="The workshop's id; the question is logged anonymously in it."
    )
    participant: str | None = Field(
        None,
        pattern=PARTICIPANT_PATTERN,
        description="A random id per browser (8-64 of A-Z a-z 0-9 _ -): rate limits inside a workshop are per participant.",
    )


class WorkshopFeedback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entry: str = Field(pattern=ENTRY_ID_PATTERN, description="The X-Workshop-Entry of the rated answer.")
    participant: str | None = Field(None, pattern=PARTICIPANT_PATTERN, description="Who asked (as sent with the question).")
    rating: Literal["up", "down"]
    reason: str | None = Field(None, max_length=REASON_MAX_CHARS, description="Why, in the participant's words.")


def get_workshops(request: Request) -> WorkshopStore:
    return request.app.state.workshops


WorkshopsDep = Annotated[WorkshopStore, Depends(get_workshops)]


def snippet(base_url: str, audience: str | None = None, workshop: str | None = None) -> str:
    """The line a trainer pastes into a workshop page."""
    attrs = "".join(f' data-{k}="{escape(v)}"' for k, v in (("audience", audience), ("workshop", workshop)) if v)
    return f'<script src="{base_url.rstrip("/")}/embed.js"{attrs} async></script>'


def workshop_links(base_url: str, workshop: Workshop) -> dict[str, str]:
    """Where participants and the trainer reach a workshop."""
    base = base_url.rstrip("/")
    return {
        "embed": snippet(base, workshop=workshop.id),
        "link": f"{base}/?w={workshop.join_code}",
        "embed_link": f"{base}/embed/?workshop={workshop.id}",
        "dashboard": f"{base}/workshops/{workshop.id}",
    }


def described(request: Request, workshop: Workshop) -> dict[str, Any]:
    return {**workshop.as_dict(), "active": workshop.active(), **workshop_links(str(request.base_url), workshop)}


def public(workshop: Workshop) -> dict[str, Any]:
    """What a participant may know of a workshop: its presets, nothing that was logged."""
    keys = ("id", "title", "audience", "language", "starters", "expires_at")
    return {k: v for k, v in workshop.as_dict().items() if k in keys}


@dataclass
class WorkshopRequest:
    """One answer being given inside a workshop: applies its presets and logs the answer once."""

    store: WorkshopStore
    taxonomy: Taxonomy
    workshop: Workshop
    participant: str | None
    entry_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: float = field(default_factory=time.perf_counter)
    logged: bool = False

    def audience(self, asked: str | None) -> str | None:
        """The asker's choice, else the workshop's preset audience (auto: detected from the question)."""
        if asked not in (None, "auto") or self.workshop.audience == "auto":
            return asked
        return self.workshop.audience

    @property
    def headers(self) -> dict[str, str]:
        return {ENTRY_HEADER: self.entry_id}

    def log(self, answer: Answer) -> None:
        if self.logged:
            return
        self.logged = True
        latency_ms = (time.perf_counter() - self.started) * MS_PER_SECOND
        self.store.log(
            logged_question(
                answer,
                self.taxonomy,
                entry_id=self.entry_id,
                workshop_id=self.workshop.id,
                participant=self.participant,
                latency_ms=latency_ms,
            )
        )

    def logging(self, events: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
        """The same events; the final answer is logged as it passes."""
        for event in events:
            if isinstance(event, AnswerEvent):
                self.log(event.answer)
            yield event


def workshop_request(request: Request, fields: WorkshopFields) -> WorkshopRequest | None:
    """None outside a workshop; 404 JSON when the named workshop is unknown or has ended."""
    if fields.workshop is None:
        return None
    store = get_workshops(request)
    workshop = store.active(fields.workshop)
    if workshop is None:
        raise ApiError(404, "workshop_not_found", f"no active workshop '{fields.workshop}': unknown or ended")
    return WorkshopRequest(store, request.app.state.advisor.taxonomy, workshop, fields.participant)


def room_of(store: WorkshopStore) -> RoomOf:
    """The rate limiter's view of a body: a Room when it names an active workshop and a participant."""

    def read(body: bytes) -> Room | None:
        try:
            fields = WorkshopFields.model_validate(json.loads(body))
        except (ValueError, TypeError):
            return None
        if fields.workshop is None or fields.participant is None or store.active(fields.workshop) is None:
            return None
        return Room(fields.workshop, fields.participant)

    return read


def _found(store: WorkshopStore, workshop_id: str) -> Workshop:
    workshop = store.get(workshop_id)
    if workshop is None:
        raise ApiError(404, "workshop_not_found", f"no workshop '{workshop_id}'")
    return workshop


def create_workshop_router() -> APIRouter:
    router = APIRouter(tags=["workshops"])

    @router.post("/api/workshops", status_code=201, dependencies=[TrainerDep], responses=TRAINER_ERRORS)
    def create(body: WorkshopCreate, request: Request, advisor: AdvisorDep, store: WorkshopsDep) -> dict[str, Any]:
        """A new workshop: its id, join code, the embed snippet, the direct link and the dashboard."""
        workshop = store.create(**checked_workshop(body, advisor.settings))
        return described(request, workshop)

    @router.get("/api/workshops", dependencies=[TrainerDep], responses=TRAINER_ERRORS)
    def listing(request: Request, store: WorkshopsDep) -> dict[str, Any]:
        return {"workshops": [described(request, w) | {"questions": n} for w, n in store.all()]}

    @router.get("/api/workshops/{workshop_id}", dependencies=[TrainerDep], responses=TRAINER_ERRORS)
    def read(workshop_id: WorkshopId, request: Request, store: WorkshopsDep) -> dict[str, Any]:
        return described(request, _found(store, workshop_id))

    @router.delete("/api/workshops/{workshop_id}", dependencies=[TrainerDep], responses=TRAINER_ERRORS)
    def delete(workshop_id: WorkshopId, store: WorkshopsDep) -> dict[str, Any]:
        """Delete the workshop and every question logged in it."""
        deleted = store.delete(workshop_id)
        if deleted is None:
            raise ApiError(404, "workshop_not_found", f"no workshop '{workshop_id}'")
        return {"deleted": workshop_id, "questions": deleted}

    @router.get("/api/workshops/{workshop_id}/summary", dependencies=[TrainerDep], responses=TRAINER_ERRORS)
    def summary(workshop_id: WorkshopId, store: WorkshopsDep) -> dict[str, Any]:
        """The dashboard's figures as JSON."""
        workshop = _found(store, workshop_id)
        return summarize(workshop, store.questions(workshop_id))

    @router.get("/api/workshops/{workshop_id}/export.json", dependencies=[TrainerDep], responses=TRAINER_ERRORS)
    def export_json(workshop_id: WorkshopId, store: WorkshopsDep) -> Response:
        workshop = _found(store, workshop_id)
        body = {"workshop": workshop.as_dict(), "questions": [q.as_dict() for q in store.questions(workshop_id)]}
        return Response(
            json.dumps(body, ensure_ascii=False, indent=1),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="workshop-{workshop_id}.json"'},
        )

    @router.get("/api/workshops/{workshop_id}/export.csv", dependencies=[TrainerDep], responses=TRAINER_ERRORS)
    def export_table(workshop_id: WorkshopId, store: WorkshopsDep) -> Response:
        _found(store, workshop_id)
        return Response(
            export_csv(store.questions(workshop_id)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="workshop-{workshop_id}.csv"'},
        )

    @router.get("/api/join/{code}", responses=responses(404, 422))
    def join(code: Annotated[str, Path(max_length=JOIN_CODE_MAX_CHARS)], store: WorkshopsDep) -> dict[str, Any]:
        """The active workshop behind a join code: its id and presets (what a participant's client needs)."""
        workshop = store.by_code(code)
        if workshop is None:
            raise ApiError(404, "workshop_not_found", "no active workshop with this code")
        return public(workshop)

    @router.post("/api/workshops/{workshop_id}/feedback", responses=responses(404, 422))
    def feedback(workshop_id: WorkshopId, body: WorkshopFeedback, store: WorkshopsDep) -> dict[str, Any]:
        """Thumbs up or down, with an optional reason, on an answer the same participant was given."""
        _found(store, workshop_id)
        reason = " ".join(body.reason.split()) if body.reason else None
        if not store.rate(workshop_id, body.entry, body.participant, 1 if body.rating == "up" else -1, reason):
            raise ApiError(404, "entry_not_found", "no such answer of this participant in this workshop")
        return {"rated": body.entry, "rating": body.rating}

    @router.get("/workshops/{workshop_id}", include_in_schema=False, response_class=HTMLResponse)
    def dashboard(workshop_id: WorkshopId, advisor: AdvisorDep) -> HTMLResponse:
        """The trainer's live dashboard. The page holds no data: it asks the summary endpoint with
        the trainer key the trainer types in (kept in this browser tab's sessionStorage only)."""
        refresh = advisor.settings.workshop_dashboard_refresh_seconds
        return HTMLResponse(dashboard_html(workshop_id, refresh), headers={"Cache-Control": "no-store"})

    return router
