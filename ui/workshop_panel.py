"""Workshops in the chat UI: joining one, logging its questions, room-sized limits, and the
trainers' "Workshops" panel.

Participants arrive with `/?w=JOIN_CODE` or through the embed (`/embed/?workshop=ID`). Each
browser makes up a random participant id once and keeps it in localStorage (no cookie, nothing
about the person). The chat then logs each answer in the workshop, asks the same rate limiter as
the API (per participant and workshop inside a workshop, per address outside), and turns a
refusal into a friendly message that says how long to wait. The panel creates a workshop with the
same rule and validation as `POST /api/workshops`.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr

from advisor.auth import trainer_key_problem
from advisor.components import Advisor
from advisor.http.limits import Limiter, Room, retry_seconds
from advisor.http.workshops import workshop_links
from advisor.storage.workshops import SECONDS_PER_HOUR, Workshop, WorkshopStore
from advisor.workshops import PARTICIPANT_PATTERN, WorkshopCreate, checked_workshop, logged_question
from ui.documents import ui_client
from ui.presets import Preset
from ui.presets import Workshop as PresetWorkshop

MS_PER_SECOND = 1000

# Runs in the browser when the chat loads: one random participant id per browser, kept in
# localStorage (a fresh one per page when storage is blocked, e.g. in some third-party iframes).
PARTICIPANT_JS = """() => {
  var name = "advisor-participant";
  function fresh() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  try {
    var id = localStorage.getItem(name);
    if (!id) { id = fresh(); localStorage.setItem(name, id); }
    return id;
  } catch (e) { return fresh(); }
}"""

_PARTICIPANT = re.compile(PARTICIPANT_PATTERN)


@dataclass
class ChatWorkshops:
    """What the chat needs to know about workshops: the store (None: no logging) and the limiter."""

    advisor: Advisor
    store: WorkshopStore | None
    limiter: Limiter | None

    def resolve(self, params: Mapping[str, str], builtins: Mapping[str, PresetWorkshop]) -> tuple[Workshop | None, str]:
        """The active workshop a page was opened for (`?w=CODE` or `?workshop=ID`), and a notice
        when the page names one that is unknown or has ended (built-in presets are not workshops)."""
        code, wid = params.get("w", "").strip(), params.get("workshop", "").strip()
        if self.store is None or (not code and (not wid or wid in builtins)):
            return None, ""
        found = self.store.by_code(code) if code else self.store.active(wid)
        if found is None:
            return None, "⚠️ This workshop code is unknown or the workshop has ended; you can still ask questions."
        return found, ""

    def admit(self, request: gr.Request | None, workshop_id: str | None, participant: str | None) -> str | None:
        """None when the question may be answered now; else a friendly message saying when to retry."""
        if self.limiter is None:
            return None
        room = Room(workshop_id, participant) if workshop_id and participant else None
        wait = self.limiter.wait(ui_client(self.limiter, request), room)
        if wait <= 0:
            return None
        return (
            f"Many questions are arriving at once. Please wait {retry_seconds(wait)} s, then ask again "
            "— your question is still in the box."
        )

    def log(self, workshop_id: str | None, participant: str | None, entry_id: str, answer: Any, started: float) -> None:
        """Log an answer given inside an active workshop (once: the entry id is the answer's key)."""
        if self.store is None or not workshop_id or self.store.active(workshop_id) is None:
            return
        latency_ms = (time.perf_counter() - started) * MS_PER_SECOND
        entry = logged_question(
            answer,
            self.advisor.taxonomy,
            entry_id=entry_id,
            workshop_id=workshop_id,
            participant=participant,
            latency_ms=latency_ms,
        )
        self.store.log(entry)

    def rate(self, workshop_id: str | None, participant: str | None, entry_id: str | None, liked: bool, reason: str | None) -> None:
        if self.store is not None and workshop_id and entry_id:
            self.store.rate(workshop_id, entry_id, participant, 1 if liked else -1, reason)


def valid_participant(value: str | None) -> str | None:
    """The browser's participant id if it has the expected form; anything else is ignored."""
    return value if value and _PARTICIPANT.match(value) else None



def workshop_preset(workshop: Workshop) -> PresetWorkshop:
    return PresetWorkshop(workshop.id, workshop.title, workshop.audience, list(workshop.starters))


def room_title(preset: Preset, workshop: Workshop | None, notice: str) -> str:
    if notice:
        return notice
    if not preset.title:
        return ""
    code = f" · join code **{workshop.join_code}**" if workshop else ""
    return f"**Workshop:** {inert(preset.title)}{code}"


def inert(text: str) -> str:
    """A trainer's text shown in Markdown: HTML-escaped, as the chat shows every user text."""
    return html.escape(text, quote=False)


def request_base(request: gr.Request | None) -> str:
    """This server's base URL as the trainer's browser sees it."""
    if request is None:
        return ""
    headers = dict(getattr(request, "headers", {}) or {})
    if headers.get("origin"):
        return headers["origin"]
    host = headers.get("host", "")
    return f"http://{host}" if host else ""


def create_from_panel(
    advisor: Advisor, store: WorkshopStore, key: str, title: str, audience: str, starters: str, language: str,
    hours: float | None, request: gr.Request | None,
) -> str:  # fmt: skip
    """Create a workshop from the panel's fields; Markdown saying how participants join (or why not)."""
    settings = advisor.settings
    problem = trainer_key_problem(settings.trainer_key, settings.admin_key, key)
    if problem:
        return f"⚠️ {problem[1]}"
    lines = [line.strip() for line in (starters or "").splitlines() if line.strip()]
    duration = (hours or settings.workshop_default_hours) * SECONDS_PER_HOUR
    try:
        spec = WorkshopCreate(
            title=title or "",
            audience=audience or "auto",
            starters=lines,
            language=(language or "").strip() or "en",
            expires_at=time.time() + duration,
        )
        workshop = store.create(**checked_workshop(spec, settings))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        return f"⚠️ the workshop was not created: {first_error(exc)}"
    links = workshop_links(request_base(request), workshop)
    ends = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(workshop.expires_at))
    return "\n".join(
        [
            f"**{inert(workshop.title)}** — join code **{workshop.join_code}** (open until {ends})",
            "",
            f"- Direct link for participants: {links['link']}",
            f"- Live dashboard: {links['dashboard']}",
            "- Embed snippet for a workshop page:",
            "",
            f"```html\n{links['embed']}\n```",
        ]
    )


def first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"{'.'.join(str(p) for p in first.get('loc', ()))}: {first.get('msg', '')}"
    return str(exc)


def list_rows(store: WorkshopStore, key: str, advisor: Advisor) -> tuple[str, list[list[object]]]:
    settings = advisor.settings
    problem = trainer_key_problem(settings.trainer_key, settings.admin_key, key)
    if problem:
        return f"⚠️ {problem[1]}", []
    now = time.time()
    rows = [
        [w.title, w.join_code, w.id, n, "open" if w.active(now) else "ended", f"/workshops/{w.id}"]
        for w, n in store.all()
    ]
    return f"{len(rows)} workshop(s).", rows


def build_workshop_panel(advisor: Advisor, store: WorkshopStore) -> gr.Accordion:
    """A closed "Workshops (trainers)" accordion, created inside the caller's Blocks."""
    settings = advisor.settings
    enabled = any(k is not None and k.get_secret_value() for k in (settings.trainer_key, settings.admin_key))
    with gr.Accordion("Workshops (trainers)", open=False, elem_id="workshops-panel") as panel:
        gr.Markdown(
            "Create a workshop: participants join with its code or link, their questions are logged "
            "anonymously, and you follow them on a live dashboard."
            + ("" if enabled else "\n\n_Workshops are disabled: the server has no ADVISOR_TRAINER_KEY set._")
        )
        key = gr.Textbox(label="Trainer key", type="password", interactive=enabled, elem_id="trainer-key")
        title = gr.Textbox(label="Title", max_length=200, elem_id="workshop-title-input")
        with gr.Row():
            audience = gr.Radio(
                [("Detect", "auto"), ("Businesses", "business"), ("Governments", "government")],
                value="auto",
                label="Audience",
            )
            language = gr.Textbox(label="Language", value="en", max_lines=1, scale=0, min_width=90)
            hours = gr.Number(label="Open for (hours)", value=settings.workshop_default_hours, minimum=0, scale=0, min_width=120)
        starters = gr.Textbox(
            label=f"Starter questions (one per line, up to {settings.max_starter_questions})", lines=3, elem_id="workshop-starters"
        )
        with gr.Row():
            create = gr.Button("Create workshop", variant="primary", interactive=enabled, elem_id="create-workshop")
            show = gr.Button("List workshops", interactive=enabled)
        result = gr.Markdown(elem_id="workshop-created")
        table = gr.Dataframe(
            headers=["title", "join code", "id", "questions", "state", "dashboard"], label="Workshops", interactive=False
        )

    def on_create(k: str, t: str, a: str, s: str, lang: str, h: float | None, request: gr.Request) -> str:
        return create_from_panel(advisor, store, k, t, a, s, lang, h, request)

    create.click(on_create, [key, title, audience, starters, language, hours], result)
    show.click(lambda k: list_rows(store, k, advisor), [key], [result, table])
    return panel
