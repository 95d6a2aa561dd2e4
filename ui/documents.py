"""The "Your documents" panel: upload files into the workspace, see and delete documents.

It calls the same advisor methods and admin-key rule as the HTTP API, so the admin key, the size
limit, the all-or-nothing batch and the ingest warnings behave the same in both places. Two
Gradio side doors are closed here and in advisor.http.server: the browser's file upload carries
the admin key (no key, no upload: anonymous callers cannot fill the disk), and "Add to workspace"
takes only files that came through that upload, never a server path a caller made up (Gradio
skips its own path check for a mounted app).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from advisor.auth import admin_key_problem
from advisor.components import Advisor
from advisor.http.limits import Limiter, retry_message
from advisor.indexing.loaders import SUPPORTED_SUFFIXES, DocumentError
from advisor.settings import Settings

COLUMNS = ["collection", "id", "title", "source", "chunks", "pages"]
ADMIN_KEY_ID = "admin-key"  # the upload fetch hook in ui/static/advisor.js reads the key from here


def ui_temp_dir(settings: Settings) -> Path:
    """Gradio's uploads and cache, and the conversation exports: swept once ADVISOR_UI_TEMP_MAX_AGE_S old."""
    return settings.data_dir / "ui-temp"


def ui_client(limiter: Limiter, request: gr.Request | None) -> str:
    """The UI's asker, identified exactly as the API identifies its callers."""
    if request is None:
        return "unknown"
    headers = getattr(request, "headers", None) or {}
    client = getattr(request, "client", None)
    return limiter.client(getattr(client, "host", None), headers.get("x-forwarded-for"))


def upload_folder() -> Path:
    import gradio.utils

    return Path(gradio.utils.get_upload_folder()).resolve()


def _uploaded(path: str) -> bool:
    """A file the browser uploaded through Gradio (inside its upload folder), not any server path."""
    try:
        return Path(path).resolve().is_relative_to(upload_folder()) and Path(path).is_file()
    except (OSError, ValueError):
        return False


def _admin_check(advisor: Advisor, key: str, limiter: Limiter | None, client: str) -> str | None:
    """Why this admin action may not proceed (as the API says it), or None; wrong keys are throttled."""
    if limiter is not None:
        wait = limiter.key_blocked(client)
        if wait > 0:
            return f"⚠️ {retry_message('too many wrong keys from this client', wait)[0]}"
    problem = admin_key_problem(advisor.settings.admin_key, key)
    if problem and problem[0] == "forbidden" and limiter is not None:
        limiter.key_failed(client)
    return f"⚠️ {problem[1]}" if problem else None


def document_rows(advisor: Advisor) -> list[list[object]]:
    return [
        [r.collection, r.doc_id, r.title, r.source, r.chunks, r.extra.get("pages", "")]
        for r in advisor.documents()
    ]


def workspace_ids(advisor: Advisor) -> list[str]:
    return [r.doc_id for r in advisor.documents(advisor.settings.workspace_collection)]


def upload(
    advisor: Advisor, paths: list[str] | None, key: str, limiter: Limiter | None = None, client: str = "ui"
) -> str:
    """Add the chosen files; a message saying what happened (or why nothing did)."""
    problem = _admin_check(advisor, key, limiter, client)
    if problem:
        return problem
    if not paths:
        return "⚠️ choose one or more files first"
    if not all(_uploaded(p) for p in paths):
        return "⚠️ nothing was added: files can only come from this page's file picker"
    try:
        files = [(Path(p).name, Path(p).read_bytes()) for p in paths]
        results = advisor.add_files(files)
    except (DocumentError, ValueError) as exc:
        return f"⚠️ nothing was added: {exc}"
    lines = [f"- **{r.record.doc_id}**: {r.outcome} ({r.record.chunks} chunks)" for r in results]
    lines += [f"  - ⚠️ {warning}" for r in results for warning in r.warnings]
    return "\n".join(lines)


def remove(
    advisor: Advisor, doc_id: str | None, key: str, limiter: Limiter | None = None, client: str = "ui"
) -> str:
    problem = _admin_check(advisor, key, limiter, client)
    if problem:
        return problem
    if not doc_id:
        return "⚠️ choose a document to delete"
    record = advisor.delete_document(doc_id)
    return f"Deleted **{doc_id}**." if record else f"⚠️ no document '{doc_id}' in the workspace"


def build_documents_panel(advisor: Advisor, limiter: Limiter | None = None) -> gr.Accordion | None:
    """A closed "Your documents" accordion, created inside the caller's Blocks; None (nothing shown)
    when the server has no admin key. Upload, list and delete appear only once a valid key is entered;
    every action checks the key again (wrong keys throttled as the API's are), so the unlocked view
    grants nothing by itself."""
    if advisor.settings.admin_key is None:
        return None
    with gr.Accordion("Your documents (admin)", open=False, elem_id="documents") as panel:
        with gr.Row(equal_height=True):
            key = gr.Textbox(label="Admin key", type="password", scale=3, elem_id=ADMIN_KEY_ID)
            unlock = gr.Button("Unlock", scale=1, elem_id="unlock")
        status = gr.Markdown(elem_id="documents-status")
        with gr.Column(visible=False, elem_id="documents-admin") as admin:
            gr.Markdown(
                f"Add PDF, Word, HTML, Markdown or text files (up to {advisor.settings.max_upload_mb:g} MB each) "
                "to the workspace; answers then cite them with section and page."
            )
            files = gr.File(label="Files", file_count="multiple", file_types=sorted(SUPPORTED_SUFFIXES), type="filepath")
            with gr.Row():
                add_button = gr.Button("Add to workspace", variant="primary")
                choice = gr.Dropdown(choices=workspace_ids(advisor), label="Workspace document", interactive=True)
                delete_button = gr.Button("Delete", variant="stop")
            table = gr.Dataframe(value=document_rows(advisor), headers=COLUMNS, label="Documents", interactive=False)

    def client(request: gr.Request | None) -> str:
        return ui_client(limiter, request) if limiter else "ui"

    def on_unlock(given: str, request: gr.Request) -> tuple[str, dict, list[list[object]]]:
        problem = _admin_check(advisor, given, limiter, client(request))
        if problem:
            return problem, gr.update(visible=False), []
        return "Unlocked.", gr.update(visible=True), document_rows(advisor)

    def refreshed(message: str) -> tuple[str, list[list[object]], dict]:
        return message, document_rows(advisor), gr.update(choices=workspace_ids(advisor), value=None)

    def add(paths: list[str] | None, typed: str, request: gr.Request) -> tuple[str, list[list[object]], dict]:
        return refreshed(upload(advisor, paths, typed, limiter, client(request)))

    def delete(doc_id: str | None, typed: str, request: gr.Request) -> tuple[str, list[list[object]], dict]:
        return refreshed(remove(advisor, doc_id, typed, limiter, client(request)))

    unlock.click(on_unlock, [key], [status, admin, table])
    key.submit(on_unlock, [key], [status, admin, table])
    add_button.click(add, [files, key], [status, table, choice])
    delete_button.click(delete, [choice, key], [status, table, choice])
    return panel
