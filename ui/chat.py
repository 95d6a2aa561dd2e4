"""The Gradio chat: streamed, cited answers with a sources panel, feedback and export.

The conversation lives in a `gr.BrowserState` of plain dicts (role, raw text, structured answer),
kept in the browser's storage so a reload does not lose it; the chatbot is only a rendering of it:
follow-ups get the structured previous answer, feedback and export read exact answers and
citations, and nothing depends on how Gradio normalises message content. Every text that comes
from a user or a document is HTML-escaped before it is shown, so a passage or question containing
markup stays inert. Layout, focus handling and the embed's height live in ui/static/ (see ui/page.py).
Pages opened for a workshop log their answers there and obey the room's limits (ui/workshop_panel.py);
the full page also has the Plan tab (ui/plan.py).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import gradio as gr

from advisor.answer.events import AnswerEvent, ChatRequest, CitationsEvent, DeltaEvent, as_runnable
from advisor.answer.render import USER_SOURCE, markdown_safe, source_line
from advisor.components import Advisor
from advisor.http.limits import Limiter
from advisor.models import Answer, Citation
from advisor.query.audience import audience_name
from advisor.query.followup import Turn
from advisor.query.language import language
from advisor.settings import Settings
from advisor.storage.database import database_url, open_database
from advisor.storage.feedback import DISLIKE_REASONS, FeedbackStore
from advisor.storage.workshops import WorkshopStore
from ui.documents import build_documents_panel, ui_temp_dir
from ui.followups import suggest_followups
from ui.page import PRODUCT
from ui.plan import build_plan_tab
from ui.presets import PERSONA_EXAMPLES, load_workshops, preset_from_query
from ui.workshop_panel import (
    PARTICIPANT_JS,
    ChatWorkshops,
    build_workshop_panel,
    room_title,
    valid_participant,
    workshop_preset,
)

STRATEGY_COLLECTION = Settings.model_fields["collection"].default  # ADVISOR_COLLECTION's default

AUDIENCE_CHOICES = [(audience_name(a, "choice"), "auto" if a == "general" else a) for a in ("general", "business", "government")]
_MARKER = re.compile(r"\[(\d{1,2})\]")
# The answer's last line names its focus areas ("**Focus areas:** ..." in the answer's language);
# the UI shows them as labels instead.
_FOCUS_LINE = re.compile(r"\n*\*\*[^*\n]+:\*\* [^\n]*\s*$")
_NOT_WORD = re.compile(r"\W+")  # letters of any script stay in export names
# Export file names: conversation-<date>-<first question, this many characters at most>.md
EXPORT_SLUG_CHARS = 48
# The chat's height: on the page it fits the window (input visible on load at 1366x900 and on a
# phone); in the embed it is fixed, because the frame's height follows the content (no vh there).
PAGE_CHAT_HEIGHT = "clamp(280px, calc(100vh - 430px), 560px)"
EMBED_CHAT_HEIGHT = 360
# Runs in the browser when an answer ends or is stopped (advisor.js marks the start, on the click).
ANSWERED_JS = "() => { document.body.classList.remove('answering'); }"
QUESTION_MAX_LINES = 6
# What the shipped knowledge is, shown under the chat and in every export.
SUMMARY_AUTHOR = "Summary by DigitalTrade4.EU"
STRATEGY_REFERENCE = "EU International Digital Strategy (JOIN(2025) 140, 5 June 2025)"


def esc(text: str) -> str:
    """Text inert in the chat's Markdown and in the sources panel's HTML. Answers arrive already
    Markdown-safe (advisor.answer.render), and the same idempotent rule never escapes them twice."""
    return markdown_safe(text)


def attribution_markdown(url: str) -> str:
    """The shipped knowledge's origin: a public summary, its author, and the official page."""
    return (
        f"Answers quote a public summary of the {STRATEGY_REFERENCE} — {SUMMARY_AUTHOR}. "
        f"Official reference: [the Commission's page on the strategy]({url})."
    )


def link_markers(text: str, turn: int) -> str:
    """Escaped text whose [n] markers link to passage n of answer `turn` in the sources panel."""
    return _MARKER.sub(lambda m: f"[\\[{m[1]}\\]](#src-{turn}-{m[1]})", esc(text))


def labels_html(areas: list[str]) -> str:
    if not areas:
        return ""
    chips = "".join(f'<span class="fa-label">{esc(a)}</span>' for a in areas)
    return f'<div class="fa-labels" aria-label="Focus areas">{chips}</div>'


def answer_message(answer: Answer, turn: int) -> str:
    """The chat bubble: the answer with linked markers and its focus areas as labels; right to left
    for Arabic (the quotes inside stay English, which the browser lays out left to right)."""
    body = _FOCUS_LINE.sub("", answer.answer) if answer.focus_areas else answer.answer
    html_body = link_markers(body, turn) + ("\n\n" + labels_html(answer.focus_areas) if answer.focus_areas else "")
    lang = language(answer.language)
    if lang.direction == "rtl":
        return f'<div dir="rtl" lang="{lang.code}">\n\n{html_body}\n\n</div>'
    return html_body


def card_parts(c: Citation) -> tuple[str, str]:
    """Where the passage sits (its section path without its own title, already in the summary line)
    and the passage without the `Title: ` its chunk text starts with."""
    parents = c.section.rsplit(" > ", 1)[0] if c.section.endswith(" > " + c.title) else c.section
    where = "" if parents == c.title else parents
    text = c.text.removeprefix(f"{c.title}: ").removeprefix(f"{c.title}:\n")
    return where, text


def plain_source(c: Citation) -> str:
    """One source as plain text, for the copy button."""
    where, _ = card_parts(c)
    return f"[{c.n}] {c.title}" + (f" — {where}" if where else "") + f" ({c.origin})"


def source_badge(citation: Citation, strategy_collection: str) -> str:
    """A label on passages from the user's own documents, so they are never read as the strategy's."""
    if not citation.collection or citation.collection == strategy_collection:
        return ""
    return f' <span class="src-badge">{USER_SOURCE}</span>'


def source_card(c: Citation, turn: int, strategy_collection: str = STRATEGY_COLLECTION) -> str:
    where, text = card_parts(c)
    section = f'<p class="src-section">In: {esc(where)}</p>' if where else ""
    return (
        f'<details class="src" id="src-{turn}-{c.n}" data-plain="{html.escape(plain_source(c))}">'
        f"<summary>[{c.n}] {esc(c.title)}{source_badge(c, strategy_collection)}</summary>{section}<blockquote>{esc(text)}</blockquote>"
        f'<p class="src-file">{esc(c.origin)}</p>'
        f'<button type="button" class="src-back">Back to answer</button></details>'
    )


def sources_html(conversation: list[dict[str, Any]], strategy_collection: str = STRATEGY_COLLECTION) -> str:
    """Every answer's cited passages, newest answer first; each passage is a closed <details>."""
    head = (
        '<div class="src-head"><h2 tabindex="-1">Sources</h2>'
        '<button type="button" class="src-close">Close sources</button></div>'
    )
    groups = []
    turn = 0
    for entry in conversation:
        if entry["role"] != "assistant" or not entry.get("answer"):
            continue
        turn += 1
        answer = Answer.model_validate(entry["answer"])
        if not answer.citations:
            continue
        items = "".join(source_card(c, turn, strategy_collection) for c in answer.citations)
        groups.append(
            f'<section class="src-group" data-turn="{turn}"><h3>Sources for “{esc(answer.question)}”</h3>'
            f"{labels_html(answer.focus_areas)}{items}</section>"
        )
    if not groups:
        return head + '<p class="src-empty">Sources of each answer appear here; select a [n] marker to open one.</p>'
    return head + "".join(reversed(groups))


def chat_messages(conversation: list[dict[str, Any]]) -> list[dict[str, str]]:
    messages = []
    turn = 0
    for entry in conversation:
        if entry["role"] == "user":
            messages.append({"role": "user", "content": esc(entry["content"])})
        elif entry.get("answer"):
            turn += 1
            messages.append({"role": "assistant", "content": answer_message(Answer.model_validate(entry["answer"]), turn)})
        else:
            messages.append({"role": "assistant", "content": esc(entry["content"])})
    return messages


def export_markdown(conversation: list[dict[str, Any]], reference_url: str | None = None) -> str:
    """The conversation as a Markdown document, each answer followed by its numbered sources."""
    lines = ["# Conversation with the Digital Strategy Advisor", ""]
    if reference_url:
        lines += [f"_{attribution_markdown(reference_url)}_", ""]
    for entry in conversation:
        if entry["role"] == "user":
            lines += [f"## Q: {markdown_safe(entry['content'])}", ""]
            continue
        lines += [markdown_safe(entry["content"]), ""]
        answer = Answer.model_validate(entry["answer"]) if entry.get("answer") else None
        if answer and answer.citations:
            lines += ["**Sources**", ""]
            lines += [source_line(c) for c in answer.citations]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def export_name(conversation: list[dict[str, Any]], today: dt.date | None = None) -> str:
    """conversation-<date>-<first question>.md: findable among a trainer's downloads."""
    first = next((e["content"] for e in conversation if e["role"] == "user"), "")
    slug = _NOT_WORD.sub("-", first.lower()).strip("-_")[:EXPORT_SLUG_CHARS].strip("-_") or "chat"
    return f"conversation-{(today or dt.date.today()).isoformat()}-{slug}.md"


def write_export(
    conversation: list[dict[str, Any]], folder: Path, session: str, reference_url: str | None = None
) -> str | None:
    """The conversation's export, in one folder per browser session holding only its latest file
    (it used to be a new file per answer, never deleted); the UI's temp sweeper removes it once old."""
    if not conversation:
        return None
    target = folder / (re.sub(r"[^A-Za-z0-9]", "", session)[:32] or uuid.uuid4().hex)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    path = target / export_name(conversation)
    path.write_text(export_markdown(conversation, reference_url), encoding="utf-8")
    return str(path)


def session_of(request: gr.Request | None) -> str:
    """The browser session's id (Gradio's session hash); '' outside a browser session."""
    return getattr(request, "session_hash", "") or ""


def to_turns(conversation: list[dict[str, Any]]) -> list[Turn]:
    return [
        Turn(role=e["role"], content=e["content"], answer=Answer.model_validate(e["answer"]) if e.get("answer") else None)
        for e in conversation
    ]


def build_chat(
    advisor: Advisor,
    compact: bool = False,
    feedback: FeedbackStore | None = None,
    workshop_store: WorkshopStore | None = None,
    limiter: Limiter | None = None,
    export_dir: Path | None = None,
) -> gr.Blocks:
    """The chat page; `compact` is the /embed variant (one column, no header, starter questions first).
    With `workshop_store`, pages opened for a workshop log their answers in it; with `limiter`, questions
    obey the same rate limits as the API (see ui/workshop_panel.py). Exports go to `export_dir`
    (default: the UI's temp folder under the data dir, swept on a schedule)."""
    settings = advisor.settings
    feedback = feedback or FeedbackStore(open_database(database_url(settings)))
    rooms = ChatWorkshops(advisor, workshop_store, limiter)
    workshops = load_workshops(settings.workshops_file)
    export_dir = export_dir or ui_temp_dir(settings) / "exports"
    stream = as_runnable(advisor.chat)
    n_followups = settings.followup_questions

    sweep = (settings.ui_temp_sweep_s, settings.ui_temp_max_age_s)
    with gr.Blocks(title=PRODUCT, delete_cache=sweep) as demo:
        # Kept in the browser (localStorage), one key per surface: a reload restores the chat.
        saved = gr.BrowserState([], storage_key="advisor-embed" if compact else "advisor-chat")
        disliked = gr.State(None)  # the answer key a thumbs-down reason would be stored with
        room = gr.State(None)  # the id of the active workshop this page was opened for
        answering = gr.State(None)  # the question being answered, between an answer's three steps
        participant = gr.Textbox(visible=False, elem_id="participant")  # PARTICIPANT_JS fills it in
        with gr.Column(elem_classes=["advisor-embed" if compact else "advisor-page"]):
            if compact:
                gr.HTML(f'<h1 class="sr-only">{PRODUCT}</h1>', padding=False, elem_id="embed-h1")
            else:
                gr.Markdown(
                    f"# {PRODUCT}\nCited answers about the EU International Digital Strategy — "
                    "for SMEs, civil servants and trainers.",
                    elem_id="advisor-header",
                )
            workshop_title = gr.Markdown("", visible=False, elem_id="workshop-title")
            if compact:
                starter_tab, tabs, starters, example_buttons = examples_tabs(settings.max_starter_questions)
            # The embed is one column (iframes are narrow) and only chats; the full page puts sources
            # beside the chat, in a "Chat" tab next to the "Plan" tab (ui/plan.py).
            with nullcontext() if compact else gr.Tab("Chat", id="chat"), gr.Column() if compact else gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300):
                    audience = gr.Radio(AUDIENCE_CHOICES, value="auto", label="Answer for", elem_id="audience")
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        show_label=False,  # its badge covered the first line of text
                        height=EMBED_CHAT_HEIGHT if compact else PAGE_CHAT_HEIGHT,
                        elem_id="chatbot",
                        feedback_options=("Like", "Dislike"),
                        autoscroll=False,  # advisor.js scrolls to each new question instead
                        sanitize_html=True,
                        buttons=["copy"],
                        layout="panel",
                        placeholder="Ask a question, or pick one of the examples.",
                    )
                    with gr.Row(equal_height=False, elem_id="ask-row"):
                        box = gr.Textbox(
                            label="Your question",
                            placeholder="Ask about the strategy…",
                            show_label=False,
                            scale=5,
                            min_width=160,
                            elem_id="question",
                            max_length=settings.max_question_chars,
                            max_lines=QUESTION_MAX_LINES,
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ask")
                        # Shown instead of "Ask" while an answer streams (body.answering, advisor.css).
                        stop = gr.Button("Stop", variant="stop", scale=1, min_width=70, elem_id="stop")
                        api_ask = gr.Button("Ask", visible=False)  # the /respond API's trigger, never shown
                    followups = gr.HTML("", elem_id="followups-row", padding=False)  # advisor.js asks a chosen one
                    status = gr.Markdown("", elem_id="feedback-status")
                    with gr.Column(visible=False, elem_id="dislike-reasons") as reason_group:
                        reasons = gr.CheckboxGroup(
                            [r.capitalize() for r in DISLIKE_REASONS], label="What was wrong with this answer? (optional)"
                        )
                        reason_text = gr.Textbox(label="Anything else? (optional)", max_lines=3)
                        reason_send = gr.Button("Send feedback", size="sm")
                    if not compact:
                        starter_tab, tabs, starters, example_buttons = examples_tabs(settings.max_starter_questions)
                    with gr.Row():
                        export = gr.DownloadButton("Export (Markdown)", value=None, interactive=False, elem_id="export", size="sm")
                        new_chat = gr.Button("New chat", size="sm", elem_id="clear")
                        gr.Button("Sources", size="sm", elem_id="open-sources")  # phone only; advisor.js opens the sheet
                    if not compact:
                        build_documents_panel(advisor, limiter)  # only when the server has an admin key (ui/documents.py)
                    if not compact and workshop_store is not None:
                        build_workshop_panel(advisor, workshop_store)  # "Workshops (trainers)" (ui/workshop_panel.py)
                with gr.Column(scale=2, min_width=280, elem_id="sources-col"):
                    sources = gr.HTML(sources_html([], settings.collection), elem_id="sources-panel", padding=False)
            if not compact:
                build_plan_tab(advisor, demo)
            gr.Markdown(attribution_markdown(settings.strategy_url), elem_id="attribution")

        def shown_followups(answer: Answer | None) -> dict[Any, Any]:
            questions = suggest_followups(answer, advisor.taxonomy, n_followups) if answer else []
            return {followups: followups_html(questions)}

        def finished(conversation: list[dict[str, Any]], session: str = "", button_ready: bool = False) -> dict[Any, Any]:
            """Everything the page shows for a conversation at rest (after an answer, on load).
            `button_ready`: the export button is already enabled, so its new file is set as a plain
            value (an update object makes Gradio rebuild the button's config and JSON schema, a third
            of a UI answer's CPU under 30 users)."""
            last = conversation[-1] if conversation else None
            answer = Answer.model_validate(last["answer"]) if last and last.get("answer") else None
            path = write_export(conversation, export_dir, session, settings.strategy_url)
            return {
                chatbot: chat_messages(conversation),
                sources: sources_html(conversation, settings.collection),
                saved: conversation,
                export: path if button_ready and path else gr.DownloadButton(value=path, interactive=path is not None),
                **shown_followups(answer),
            }

        def begin(
            message: str,
            conversation: list[dict[str, Any]],
            audience: str,
            room: str | None = None,
            participant: str | None = None,
            reason_key: str | None = None,
            request: gr.Request | None = None,
        ) -> tuple[dict[Any, Any], dict[str, Any] | None]:
            """An answer's first step: the question shown, the box emptied, and what the answer needs
            (None when there is nothing to answer: an empty box, or a refusal shown instead)."""
            message = (message or "").strip()
            conversation = list(conversation or [])
            if not message:
                return {status: ""}, None  # nothing to ask; an update keeps Gradio from treating it as an error
            participant = valid_participant(participant)
            refusal = rooms.admit(request, room, participant)
            if refusal:  # shown, not kept: the question stays in the box for the retry
                shown = chat_messages(conversation) + [{"role": "user", "content": esc(message)}, {"role": "assistant", "content": refusal}]
                return {chatbot: shown}, None
            shown = chat_messages(conversation) + [{"role": "user", "content": esc(message)}, {"role": "assistant", "content": ""}]
            # Only what changes: every visibility update makes Gradio rebuild that component's config,
            # most of a UI answer's CPU when a room asks at once.
            closing = {reason_group: gr.Column(visible=False), disliked: None} if reason_key else {}
            pending = {
                "message": message,
                "conversation": conversation,
                "audience": audience,
                "room": room,
                "participant": participant,
                "session": session_of(request),
                "shown": shown,
                "done": False,
            }
            return {chatbot: shown, box: "", status: "", **closing, **shown_followups(None)}, pending

        def answer_pieces(pending: dict[str, Any]) -> Iterator[list[dict[str, str]]]:
            """The chat's messages as the answer streams in; once it is in, `pending` holds the
            conversation with it and is marked done."""
            conversation, message, shown = pending["conversation"], pending["message"], pending["shown"]
            key, started_at = uuid.uuid4().hex, time.perf_counter()  # one feedback row and one log entry per answer
            turn = sum(1 for e in conversation if e["role"] == "assistant" and e.get("answer")) + 1
            audience = pending["audience"]
            turn_request = ChatRequest(message, to_turns(conversation)[-settings.max_history_turns :], None if audience == "auto" else audience)
            text, pieces = "", 0
            try:
                for event in stream.stream(turn_request):
                    if isinstance(event, CitationsEvent):
                        shown[-1]["content"] = "_Searching the strategy…_" if not event.citations else ""
                    elif isinstance(event, DeltaEvent):
                        text += event.text
                        pieces += 1
                        if pieces % settings.ui_stream_pieces_per_update == 0:
                            shown[-1]["content"] = link_markers(text, turn)
                            yield shown
                    elif isinstance(event, AnswerEvent):
                        conversation += [
                            {"role": "user", "content": message, "answer": None},
                            {
                                "role": "assistant",
                                "content": event.answer.answer,
                                "answer": event.answer.model_dump(),
                                "key": key,
                            },
                        ]
                        rooms.log(pending["room"], pending["participant"], key, event.answer, started_at)
            except ValueError as exc:
                conversation += [
                    {"role": "user", "content": message, "answer": None},
                    {"role": "assistant", "content": f"⚠️ {exc}", "answer": None},
                ]
            pending["done"] = True

        def finish(pending: dict[str, Any]) -> dict[Any, Any]:
            conversation = pending["conversation"]
            turn = sum(1 for e in conversation if e["role"] == "assistant" and e.get("answer"))
            return finished(conversation, pending["session"], button_ready=turn > 1)

        # The page asks in three steps, as gr.ChatInterface does: the question shown (begin), the
        # answer streamed into the chatbot alone (stream_answer), the page at rest (finish_answer).
        # Gradio rebuilds the config of every output an update leaves out, so a streamed update
        # over all nine outputs cost ~4 ms of CPU against ~0.2 ms for the chatbot alone.
        def begin_answer(
            message: str,
            conversation: list[dict[str, Any]],
            audience: str,
            room: str | None = None,
            participant: str | None = None,
            reason_key: str | None = None,
            request: gr.Request | None = None,
        ) -> dict[Any, Any]:
            updates, pending = begin(message, conversation, audience, room, participant, reason_key, request)
            return {**updates, answering: pending}

        def begin_retry(
            conversation: list[dict[str, Any]],
            audience: str,
            room: str | None = None,
            participant: str | None = None,
            reason_key: str | None = None,
            request: gr.Request | None = None,
        ) -> dict[Any, Any]:
            """The chatbot's retry button: the last question again, replacing its answer."""
            conversation = list(conversation or [])
            asked = [i for i, e in enumerate(conversation) if e["role"] == "user"]
            if not asked:
                return {status: "", answering: None}
            last = asked[-1]
            return begin_answer(conversation[last]["content"], conversation[:last], audience, room, participant, reason_key, request)

        def stream_answer(pending: dict[str, Any] | None) -> Iterator[dict[Any, Any]]:
            if not pending:
                yield {answering: None}  # nothing to answer (begin showed why)
                return
            for shown in answer_pieces(pending):
                yield {chatbot: shown}
            yield {chatbot: pending["shown"], answering: pending}

        def finish_answer(pending: dict[str, Any] | None) -> dict[Any, Any]:
            if not pending or not pending["done"]:  # nothing was asked, or Stop ended the answer
                return {answering: None}
            return {**finish(pending), answering: None}

        def respond(
            message: str,
            conversation: list[dict[str, Any]],
            audience: str,
            room: str | None = None,
            participant: str | None = None,
            reason_key: str | None = None,
            request: gr.Request | None = None,
        ) -> Iterator[dict[Any, Any]]:
            """The whole answer as one event: the `/respond` API for scripts (gradio_client); the
            page asks in the three steps above."""
            updates, pending = begin(message, conversation, audience, room, participant, reason_key, request)
            yield updates
            if pending is None:
                return
            for shown in answer_pieces(pending):
                yield {chatbot: shown}
            yield finish(pending)

        def stopped(conversation: list[dict[str, Any]], request: gr.Request) -> dict[Any, Any]:
            session = session_of(request)
            return {**finished(list(conversation or []), session), status: "Stopped. Ask again, or pick another question."}

        def on_like(
            conversation: list[dict[str, Any]], room: str | None, participant: str | None, data: gr.LikeData
        ) -> dict[Any, Any]:
            index = data.index if isinstance(data.index, int) else data.index[0]
            entry = conversation[index] if 0 <= index < len(conversation or []) else None
            if not entry or not entry.get("answer"):
                return {status: "Feedback can only be given on answers.", reason_group: gr.Column(visible=False)}
            liked = data.liked is True or (isinstance(data.liked, str) and data.liked.lower() == "like")
            feedback.record(Answer.model_validate(entry["answer"]), liked, answer_key=entry.get("key"))
            rooms.rate(room, valid_participant(participant), entry.get("key"), liked, None)
            if liked:
                return {status: "Thanks — your feedback was saved.", reason_group: gr.Column(visible=False), disliked: None}
            return {
                status: "Thanks — noted. What went wrong? (optional)",
                reason_group: gr.Column(visible=True),
                reasons: [],
                reason_text: "",
                disliked: entry.get("key"),
            }

        def on_reason(
            key: str | None, chosen: list[str], comment: str, room: str | None, participant: str | None
        ) -> dict[Any, Any]:
            if key:
                feedback.explain(key, [c.lower() for c in chosen or []], comment)
                # The workshop dashboard lists each thumbs-down with its reasons in the participant's words.
                said = "; ".join(filter(None, [", ".join(chosen or []), (comment or "").strip()])) or None
                rooms.rate(room, valid_participant(participant), key, False, said)
            return {status: "Thanks — your reasons were saved.", reason_group: gr.Column(visible=False), disliked: None}

        def clear() -> dict[Any, Any]:
            return {**finished([]), status: "", box: "", reason_group: gr.Column(visible=False), disliked: None}

        def on_load(conversation: list[dict[str, Any]], request: gr.Request) -> dict[Any, Any]:
            params = dict(request.query_params) if request is not None else {}
            found, notice = rooms.resolve(params, workshops)
            if found is not None:  # a trainer's workshop: its record is the preset
                params = {**params, "workshop": found.id}
            preset = preset_from_query(params, {**workshops, **({found.id: workshop_preset(found)} if found else {})})
            title = room_title(preset, found, notice)
            shown = preset.starters[: settings.max_starter_questions]
            session = session_of(request)
            updates = {
                room: found.id if found else None,
                audience: preset.audience,
                workshop_title: gr.Markdown(title, visible=bool(title)),
                starter_tab: gr.Tab(visible=bool(shown)),
                tabs: gr.Tabs(selected="starters" if shown else "SME"),
            }
            for i, button in enumerate(starters):
                updates[button] = gr.Button(shown[i] if i < len(shown) else "", visible=i < len(shown))
            return {**updates, **(finished(conversation, session) if conversation else {})}

        answer_outputs = {
            chatbot, box, sources, saved, export, status, reason_group, disliked, followups,
        }
        asked = [saved, audience, room, participant, disliked]
        begin_outputs = {chatbot, box, status, reason_group, disliked, followups, answering}
        finish_outputs = {chatbot, sources, saved, export, followups, answering}

        def steps(started: Any) -> Any:
            """Stream, then finish, after an ask's first step; the streaming event (Stop cancels it)."""
            streaming = started.then(stream_answer, answering, {chatbot, answering})
            streaming.then(finish_answer, answering, finish_outputs, queue=False, show_progress="hidden").then(
                None, js=ANSWERED_JS
            )
            return streaming

        quick = {"queue": False, "show_progress": "hidden", "api_visibility": "undocumented"}
        asking = [
            steps(box.submit(begin_answer, [box, *asked], begin_outputs, **quick)),
            steps(send.click(begin_answer, [box, *asked], begin_outputs, **quick)),
            steps(chatbot.retry(begin_retry, asked, begin_outputs, **quick)),
        ]
        for button in [*starters, *example_buttons]:
            asking.append(steps(button.click(begin_answer, [button, *asked], begin_outputs, **quick)))
        # The whole answer in one event, for scripts: gradio_client's predict(..., api_name="/respond").
        api_ask.click(respond, [box, *asked], answer_outputs, api_name="respond")
        # "Stop" replaces "Ask" while an answer streams, switched in the browser alone (advisor.js on
        # the click, ANSWERED_JS when it ends): a visibility update from the server makes Gradio
        # rebuild both buttons' config on every answer.
        stop.click(stopped, [saved], answer_outputs, cancels=asking)
        stop.click(None, js=ANSWERED_JS)
        chatbot.like(on_like, [saved, room, participant], {status, reason_group, reasons, reason_text, disliked})
        reason_send.click(on_reason, [disliked, reasons, reason_text, room, participant], {status, reason_group, disliked})
        new_chat.click(clear, None, answer_outputs)
        chatbot.clear(clear, None, answer_outputs)  # the chatbot's own bin icon must clear the state too
        demo.load(
            on_load,
            [saved],
            {room, audience, workshop_title, starter_tab, tabs, *starters} | answer_outputs,
            show_progress="hidden",  # a restore is quick; a pending overlay would grey the page out
        )
        demo.load(None, None, participant, js=PARTICIPANT_JS)
    # Answers are CPU-light and mostly cached: run them side by side, not one user at a time.
    demo.queue(default_concurrency_limit=settings.ui_concurrency)
    return demo


def examples_tabs(max_starters: int) -> tuple[gr.Tab, gr.Tabs, list[gr.Button], list[gr.Button]]:
    """Workshop starters (shown by a preset) and example questions per persona, in tabs that wrap
    onto a second line on a phone instead of hiding behind a "⋯" menu."""
    with gr.Tabs(elem_id="examples", selected="SME", overflow_behavior="wrap") as tabs:
        with gr.Tab("Workshop", id="starters", visible=False) as starter_tab:
            with gr.Column(elem_id="starters"):
                starters = [question_button("", visible=False) for _ in range(max_starters)]
        example_buttons = []
        for persona, questions in PERSONA_EXAMPLES.items():
            with gr.Tab(persona, id=persona), gr.Column(elem_classes=["examples-" + persona.split()[0].lower()]):
                example_buttons += [question_button(q) for q in questions]
    return starter_tab, tabs, starters, example_buttons


def followups_html(questions: list[str]) -> str:
    """Suggested follow-ups as plain buttons that ui/static/advisor.js asks: one HTML value per
    answer, where Gradio buttons would need a row and a button visibility update each."""
    if not questions:
        return ""
    buttons = "".join(f'<button type="button" class="example-q followup">{html.escape(q)}</button>' for q in questions)
    return f'<div class="followups" role="group" aria-label="Suggested follow-up questions">{buttons}</div>'


def question_button(question: str, visible: bool = True) -> gr.Button:
    """A whole example question as a button (gr.Examples cuts text at 60 characters); clicking asks it."""
    return gr.Button(question, size="sm", variant="secondary", visible=visible, elem_classes=["example-q"])
