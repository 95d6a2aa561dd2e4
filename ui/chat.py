"""The Gradio chat: answers with their focus areas, actions and the cited passages."""

from __future__ import annotations

import html

import gradio as gr

from advisor.models import Answer
from advisor.service import Advisor
from ui.documents import build_documents_panel

AUDIENCE_CHOICES = [("Any", "auto"), ("Business", "business"), ("Government", "government")]
EXAMPLES = [
    "How can my startup qualify for EU funding under the Tech Business Offer?",
    "Which steps should our ministry take to align our data protection law with the EU?",
    "How would you explain the strategy's priority focus areas to workshop participants?",
]


def answer_markdown(answer: Answer) -> str:
    """The answer followed by its sources, each passage quoted in a collapsible block."""
    parts = [answer.answer]
    if answer.citations:
        parts.append("\n\n**Sources**\n")
        for c in answer.citations:
            parts.append(
                f"<details><summary>[{c.n}] {html.escape(c.title)} — {html.escape(c.section)}</summary>"
                f"\n\n<blockquote>{html.escape(c.text)}</blockquote>\n\n</details>"
            )
    for note in answer.notes:
        parts.append(f"\n\n_Note: {html.escape(note)}_")
    return "".join(parts)


def build_chat(advisor: Advisor) -> gr.Blocks:
    def respond(message: str, history: list[dict], audience: str) -> tuple[list[dict], str]:
        history = list(history or [])
        try:
            answer = advisor.ask(message, audience=None if audience == "auto" else audience)
            reply = answer_markdown(answer)
        except ValueError as exc:
            reply = f"⚠️ {exc}"
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": reply}]
        return history, ""

    with gr.Blocks(title="Digital Strategy Advisor") as demo:
        gr.Markdown("## Digital Strategy Advisor\nCited answers about the EU International Digital Strategy.")
        audience = gr.Radio(AUDIENCE_CHOICES, value="auto", label="I am asking for")
        chatbot = gr.Chatbot(label="Advisor", height=520)
        box = gr.Textbox(placeholder="Ask about funding, alignment steps, focus areas…", label="Your question")
        gr.Examples(EXAMPLES, inputs=box)
        box.submit(respond, [box, chatbot, audience], [chatbot, box])
        build_documents_panel(advisor)  # "Your documents": upload, list, delete (ui/documents.py)
    return demo
