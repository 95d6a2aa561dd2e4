"""The Gradio chat: streamed, cited answers with a sources panel, feedback and export.

The conversation lives in a `gr.State` of plain dicts (role, raw text, structured answer), and
the chatbot is only a rendering of it: follow-ups get the structured previous answer, feedback
and export read exact answers and citations, and nothing depends on how Gradio normalises
message content. Every text that comes from a user or a document is HTML-escaped before it is
shown, so a passage or question containing markup stays inert.
"""

from __future__ import annotations

import re
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
from advisor.storage.feedback import FeedbackStore
from advisor.storage.workshops import WorkshopStore
from ui.documents import build_documents_panel, ui_temp_dir
from ui.plan import build_plan_tab
from ui.presets import PERSONA_EXAMPLES, load_workshops, preset_from_query
from ui.workshop_panel import (
    FEEDBACK_OPTIONS,
    PARTICIPANT_JS,
    ChatWorkshops,
    build_workshop_panel,
    feedback_choice,
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

CHAT_CSS = """
.gradio-container, .gradio-container * { font-family: system-ui, -apple-system, "Segoe UI", Roboto,
  "Helvetica Neue", Arial, "Noto Sans", "DejaVu Sans", sans-serif !important; }
.gradio-container code, .gradio-container pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace !important; }
.gradio-container { max-width: 1180px !important; margin: 0 auto !important; }
#advisor-header h2 { margin: 0 0 2px 0; }
#advisor-header p { margin: 0; opacity: .8; }
.fa-labels { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0; }
.fa-label { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: .82rem;
  background: #e8f0fe; color: #1a3d7c; border: 1px solid #c6d7f5; line-height: 1.5; }
#sources-panel { max-height: 640px; overflow-y: auto; }
#sources-panel .src-group { margin-bottom: 14px; }
#sources-panel .src-group h4 { margin: 4px 0 6px 0; font-size: .95rem; }
#sources-panel details.src { border: 1px solid #d9dde3; border-radius: 8px; padding: 6px 10px; margin: 6px 0;
  background: var(--background-fill-primary); }
#sources-panel details.src[open] { border-color: #7aa2e3; }
#sources-panel details.src.flash { box-shadow: 0 0 0 3px #ffd54f; }
#sources-panel summary { cursor: pointer; font-weight: 600; }
#sources-panel .src-badge { font-weight: 500; font-size: .72rem; padding: 1px 8px; border-radius: 999px;
  background: #fff4e5; color: #8a4b00; border: 1px solid #f0c896; margin-left: 4px; }
#sources-panel .src-section { font-size: .8rem; opacity: .75; margin: 4px 0; }
#sources-panel blockquote { margin: 6px 0; padding: 4px 10px; border-left: 3px solid #7aa2e3;
  white-space: pre-wrap; font-size: .9rem; }
#sources-panel .src-file { font-size: .75rem; opacity: .6; margin: 0; }
#feedback-status { min-height: 1.2em; font-size: .85rem; }
#examples [role="tablist"] { flex-wrap: wrap; }
.gradio-container button.example-q { justify-content: flex-start; text-align: left; white-space: normal;
  height: auto; font-weight: 400; padding: 6px 10px !important; font-size: .9rem; }
@media (max-width: 700px) {
  .gradio-container { padding: 8px !important; }
  .gradio-container .contain, .gradio-container .wrap { min-width: 0 !important; }
  #chatbot { height: 62vh !important; }
  #chatbot .message-row { margin-left: 0 !important; margin-right: 0 !important; }
  #chatbot .bot-row .flex-wrap, #chatbot .bot-row .message { max-width: 100% !important; width: 100%; }
  #chatbot .message, #chatbot .message .prose { font-size: 15px !important; line-height: 1.45; }
  #sources-panel { max-height: none; }
}
"""

# Clicking an [n] marker in an answer opens that passage in the sources panel. The browser's file
# uploads carry the admin key typed in "Your documents" (advisor.http.server.UploadGuard refuses
# them otherwise).
CHAT_HEAD = """
<script>
(function () {
  var send = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (/\\/gradio_api\\/upload(\\?|$)/.test(url)) {
      var box = document.querySelector("#admin-key input, #admin-key textarea");
      init = Object.assign({}, init || {});
      var headers = new Headers(init.headers || {});
      if (box && box.value) { headers.set("X-Admin-Key", box.value); }
      init.headers = headers;
    }
    return send(input, init);
  };
})();
</script>
<script>
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest ? event.target.closest('a[href*="#src-"]') : null;
  if (!link) { return; }
  var id = link.getAttribute("href").split("#").pop();
  var target = document.getElementById(id);
  if (!target) { return; }
  event.preventDefault();
  event.stopPropagation();
  target.open = true;
  target.scrollIntoView({ behavior: "smooth", block: "nearest" });
  target.classList.add("flash");
  setTimeout(function () { target.classList.remove("flash"); }, 1600);
}, true);
</script>
<script>
// When a question is added, scroll the chat so that it sits at the top: the answer then streams
// in below it and is read from its start (Gradio's autoscroll would jump to the end).
(function () {
  var seen = 0;
  function scrollBox(node) {
    var box = node.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) {
      box = box.parentElement;
    }
    return box && box.closest("#chatbot") ? box : null;
  }
  function follow() {
    var asked = document.querySelectorAll('#chatbot [data-testid="user"]');
    if (asked.length === seen) { return; }
    seen = asked.length;
    var last = asked[asked.length - 1];
    if (!last) { return; }
    requestAnimationFrame(function () {
      var box = scrollBox(last);
      if (box) { box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8; }
    });
  }
  new MutationObserver(follow).observe(document.documentElement, { childList: true, subtree: true });
})();
</script>
"""


def esc(text: str) -> str:
    """Text inert in the chat's Markdown and in the sources panel's HTML. Answers arrive already
    Markdown-safe (advisor.answer.render), and the same idempotent rule never escapes them twice."""
    return markdown_safe(text)


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


def source_badge(citation: Citation, strategy_collection: str) -> str:
    """A label on passages from the user's own documents, so they are never read as the strategy's."""
    if not citation.collection or citation.collection == strategy_collection:
        return ""
    return f' <span class="src-badge">{USER_SOURCE}</span>'


def sources_html(conversation: list[dict[str, Any]], strategy_collection: str = STRATEGY_COLLECTION) -> str:
    """Every answer's cited passages, newest answer first; each passage is a closed <details>."""
    groups = []
    turn = 0
    for entry in conversation:
        if entry["role"] != "assistant" or not entry.get("answer"):
            continue
        turn += 1
        answer = Answer.model_validate(entry["answer"])
        if not answer.citations:
            continue
        items = "".join(
            f'<details class="src" id="src-{turn}-{c.n}"><summary>[{c.n}] {esc(c.title)}'
            f"{source_badge(c, strategy_collection)}</summary>"
            f'<p class="src-section">{esc(c.section)}</p><blockquote>{esc(c.text)}</blockquote>'
            f'<p class="src-file">{esc(c.origin)}</p></details>'
            for c in answer.citations
        )
        groups.append(
            f'<div class="src-group" data-turn="{turn}"><h4>Sources for “{esc(answer.question)}”</h4>'
            f"{labels_html(answer.focus_areas)}{items}</div>"
        )
    if not groups:
        return '<div class="src-empty">Sources of each answer appear here; click a [n] marker to open one.</div>'
    return "".join(reversed(groups))


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


def export_markdown(conversation: list[dict[str, Any]]) -> str:
    """The conversation as a Markdown document, each answer followed by its numbered sources."""
    lines = ["# Conversation with the Digital Strategy Advisor", ""]
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


def write_export(conversation: list[dict[str, Any]], folder: Path, session: str) -> str | None:
    """The conversation's export, one file per browser session, rewritten after each answer (it used
    to be a new file per answer, never deleted); the UI's temp sweeper removes it once old."""
    if not conversation:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"conversation-{re.sub(r'[^A-Za-z0-9]', '', session)[:32] or uuid.uuid4().hex[:8]}.md"
    path.write_text(export_markdown(conversation), encoding="utf-8")
    return str(path)


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

    def respond(
        message: str,
        conversation: list[dict[str, Any]],
        audience: str,
        room: str | None = None,
        participant: str | None = None,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        message = (message or "").strip()
        conversation = list(conversation or [])
        if not message:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        participant = valid_participant(participant)
        refusal = rooms.admit(request, room, participant)
        if refusal:  # shown, not kept: the question stays in the box for the retry
            shown = chat_messages(conversation) + [{"role": "user", "content": esc(message)}, {"role": "assistant", "content": refusal}]
            yield shown, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        key, started_at = uuid.uuid4().hex, time.perf_counter()  # one feedback row and one log entry per answer
        turn = sum(1 for e in conversation if e["role"] == "assistant" and e.get("answer")) + 1
        turn_request = ChatRequest(message, to_turns(conversation)[-settings.max_history_turns :], None if audience == "auto" else audience)
        shown = chat_messages(conversation) + [{"role": "user", "content": esc(message)}, {"role": "assistant", "content": ""}]
        yield shown, "", gr.skip(), gr.skip(), gr.skip()
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
                        yield shown, gr.skip(), gr.skip(), gr.skip(), gr.skip()
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
                    rooms.log(room, participant, key, event.answer, started_at)
        except ValueError as exc:
            conversation += [
                {"role": "user", "content": message, "answer": None},
                {"role": "assistant", "content": f"⚠️ {exc}", "answer": None},
            ]
        # A plain value after the first answer: an update object makes Gradio rebuild the button's
        # config and JSON schema on every answer (a third of a UI answer's CPU under 30 users).
        exported = write_export(conversation, export_dir, getattr(request, "session_hash", "") or "")
        yield (
            chat_messages(conversation),
            gr.skip(),
            sources_html(conversation, settings.collection),
            conversation,
            exported if turn > 1 else gr.DownloadButton(value=exported, interactive=True),
        )

    def on_like(conversation: list[dict[str, Any]], room: str | None, participant: str | None, data: gr.LikeData) -> str:
        index = data.index if isinstance(data.index, int) else data.index[0]
        entry = conversation[index] if 0 <= index < len(conversation or []) else None
        if not entry or not entry.get("answer"):
            return "Feedback can only be given on answers."
        liked, reason = feedback_choice(data.liked)  # a flag option is a thumbs-down with its reason
        feedback.record(Answer.model_validate(entry["answer"]), liked, comment=reason, answer_key=entry.get("key"))
        rooms.rate(room, valid_participant(participant), entry.get("key"), liked, reason)
        return "Thanks — your feedback was saved." if liked else "Thanks — noted; this helps us improve."

    def clear() -> tuple[Any, ...]:
        return [], [], sources_html([]), gr.DownloadButton(value=None, interactive=False), "", ""

    def apply_preset(request: gr.Request) -> tuple[Any, ...]:
        params = dict(request.query_params) if request is not None else {}
        room, notice = rooms.resolve(params, workshops)
        if room is not None:  # a trainer's workshop: its record is the preset
            params = {**params, "workshop": room.id}
        preset = preset_from_query(params, {**workshops, **({room.id: workshop_preset(room)} if room else {})})
        title = room_title(preset, room, notice)
        shown = preset.starters[: settings.max_starter_questions]
        buttons = [gr.Button(q, visible=True) for q in shown]
        buttons += [gr.Button("", visible=False)] * (settings.max_starter_questions - len(shown))
        return (
            room.id if room else None,
            preset.audience,
            gr.Markdown(title, visible=bool(title)),
            gr.Tab(visible=bool(shown)),
            gr.Tabs(selected="starters" if shown else "SME"),
            *buttons,
        )

    sweep = (settings.ui_temp_sweep_s, settings.ui_temp_max_age_s)
    with gr.Blocks(title="Digital Strategy Advisor", delete_cache=sweep) as demo:
        conversation = gr.State([])
        room = gr.State(None)  # the id of the active workshop this page was opened for
        participant = gr.Textbox(visible=False, elem_id="participant")  # PARTICIPANT_JS fills it in
        if not compact:
            gr.Markdown(
                "## Digital Strategy Advisor\nCited answers about the EU International Digital Strategy — "
                "for SMEs, civil servants and trainers.",
                elem_id="advisor-header",
            )
        workshop_title = gr.Markdown("", visible=False, elem_id="workshop-title")
        # The embed is one column (iframes are narrow) and only chats; the full page puts sources beside
        # the chat, in a "Chat" tab next to the "Plan" tab (ui/plan.py).
        with nullcontext() if compact else gr.Tab("Chat", id="chat"), gr.Column() if compact else gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                audience = gr.Radio(AUDIENCE_CHOICES, value="auto", label="Answer for", elem_id="audience")
                chatbot = gr.Chatbot(
                    label="Advisor",
                    height=420 if compact else 520,
                    elem_id="chatbot",
                    feedback_options=FEEDBACK_OPTIONS,
                    autoscroll=False,  # CHAT_HEAD scrolls to each new question instead
                    sanitize_html=True,
                    buttons=["copy"],
                    placeholder="Ask a question, or pick one below.",
                )
                with gr.Row(equal_height=True):
                    box = gr.Textbox(
                        placeholder="Ask about the strategy…",
                        show_label=False,
                        scale=5,
                        min_width=160,
                        elem_id="question",
                        max_length=settings.max_question_chars,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ask")
                status = gr.Markdown("", elem_id="feedback-status")
                with gr.Tabs(elem_id="examples", selected="SME") as tabs:
                    with gr.Tab("Workshop questions", id="starters", visible=False) as starter_tab:
                        with gr.Column(elem_id="starters"):
                            starters = [question_button("", visible=False) for _ in range(settings.max_starter_questions)]
                    example_buttons = []
                    for persona, questions in PERSONA_EXAMPLES.items():
                        with gr.Tab(persona, id=persona), gr.Column(elem_classes=["examples-" + persona.split()[0].lower()]):
                            example_buttons += [question_button(q) for q in questions]
                with gr.Row():
                    export = gr.DownloadButton("Export (Markdown)", value=None, interactive=False, elem_id="export", size="sm")
                    clear_btn = gr.Button("Clear chat", size="sm", elem_id="clear")
                if not compact:
                    build_documents_panel(advisor, limiter)  # "Your documents": upload, list, delete (ui/documents.py)
                if not compact and workshop_store is not None:
                    build_workshop_panel(advisor, workshop_store)  # "Workshops (trainers)" (ui/workshop_panel.py)
            with gr.Column(scale=2, min_width=280):
                sources = gr.HTML(sources_html([]), elem_id="sources-panel", label="Sources")

        if not compact:
            build_plan_tab(advisor, demo)
        outputs = [chatbot, box, sources, conversation, export]
        asked = [conversation, audience, room, participant]
        box.submit(respond, [box, *asked], outputs)
        send.click(respond, [box, *asked], outputs)
        for button in [*starters, *example_buttons]:
            button.click(respond, [button, *asked], outputs)
        chatbot.like(on_like, [conversation, room, participant], status)
        clear_outputs = [chatbot, conversation, sources, export, status, box]
        clear_btn.click(clear, None, clear_outputs)
        chatbot.clear(clear, None, clear_outputs)  # the chatbot's own bin icon must clear the state too
        demo.load(apply_preset, None, [room, audience, workshop_title, starter_tab, tabs, *starters])
        demo.load(None, None, participant, js=PARTICIPANT_JS)
    # Answers are CPU-light and mostly cached: run them side by side, not one user at a time.
    demo.queue(default_concurrency_limit=settings.ui_concurrency)
    return demo


def question_button(question: str, visible: bool = True) -> gr.Button:
    """A whole example question as a button (gr.Examples cuts text at 60 characters); clicking asks it."""
    return gr.Button(question, size="sm", variant="secondary", visible=visible, elem_classes=["example-q"])
