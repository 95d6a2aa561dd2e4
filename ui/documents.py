"""The "Your documents" panel: upload files into the workspace, see and delete documents.

It calls the same advisor methods and admin-key rule as the HTTP API, so the admin key, the size
limit, the all-or-nothing batch and the ingest warnings behave the same in both places.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from advisor.auth import admin_key_problem
from advisor.components import Advisor
from advisor.indexing.loaders import SUPPORTED_SUFFIXES, DocumentError

COLUMNS = ["collection", "id", "title", "source", "chunks", "pages"]


def document_rows(advisor: Advisor) -> list[list[object]]:
    return [
        [r.collection, r.doc_id, r.title, r.source, r.chunks, r.extra.get("pages", "")]
        for r in advisor.documents()
    ]


def workspace_ids(advisor: Advisor) -> list[str]:
    return [r.doc_id for r in advisor.documents(advisor.settings.workspace_collection)]


def upload(advisor: Advisor, paths: list[str] | None, key: str) -> str:
    """Add the chosen files; a message saying what happened (or why nothing did)."""
    problem = admin_key_problem(advisor.settings.admin_key, key)
    if problem:
        return f"⚠️ {problem[1]}"
    if not paths:
        return "⚠️ choose one or more files first"
    try:
        files = [(Path(p).name, Path(p).read_bytes()) for p in paths]
        results = advisor.add_files(files)
    except (DocumentError, ValueError) as exc:
        return f"⚠️ nothing was added: {exc}"
    lines = [f"- **{r.record.doc_id}**: {r.outcome} ({r.record.chunks} chunks)" for r in results]
    lines += [f"  - ⚠️ {warning}" for r in results for warning in r.warnings]
    return "\n".join(lines)


def remove(advisor: Advisor, doc_id: str | None, key: str) -> str:
    problem = admin_key_problem(advisor.settings.admin_key, key)
    if problem:
        return f"⚠️ {problem[1]}"
    if not doc_id:
        return "⚠️ choose a document to delete"
    record = advisor.delete_document(doc_id)
    return f"Deleted **{doc_id}**." if record else f"⚠️ no document '{doc_id}' in the workspace"


def build_documents_panel(advisor: Advisor) -> gr.Accordion | None:
    """A closed "Your documents" accordion, created inside the caller's Blocks; None (nothing shown)
    when the server has no admin key. Upload, list and delete appear only once a valid key is entered;
    every action checks the key again, so the unlocked view grants nothing by itself."""
    if advisor.settings.admin_key is None:
        return None
    with gr.Accordion("Your documents (admin)", open=False, elem_id="documents") as panel:
        with gr.Row(equal_height=True):
            key = gr.Textbox(label="Admin key", type="password", scale=3, elem_id="admin-key")
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

    def on_unlock(given: str) -> tuple[str, dict, list[list[object]]]:
        problem = admin_key_problem(advisor.settings.admin_key, given)
        if problem:
            return f"⚠️ {problem[1]}", gr.update(visible=False), []
        return "Unlocked.", gr.update(visible=True), document_rows(advisor)

    def refreshed(message: str) -> tuple[str, list[list[object]], dict]:
        return message, document_rows(advisor), gr.update(choices=workspace_ids(advisor), value=None)

    unlock.click(on_unlock, [key], [status, admin, table])
    key.submit(on_unlock, [key], [status, admin, table])
    add_button.click(lambda p, k: refreshed(upload(advisor, p, k)), [files, key], [status, table, choice])
    delete_button.click(lambda d, k: refreshed(remove(advisor, d, k)), [choice, key], [status, table, choice])
    return panel
