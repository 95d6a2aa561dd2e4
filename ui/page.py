"""What the served chat page is made of around the Gradio blocks: theme, CSS, script, meta tags.

- The theme uses the system font stack (no web font is downloaded) and a blue whose white button
  text passes WCAG AA (Gradio's orange gave the Ask button about 2.8:1).
- The page's own script and CSS live in ui/static/, served at STATIC_URL and linked from the HTML
  server side: Gradio's `css=` would prefix every rule with `.gradio-container .contain`, so rules
  on `body` (the phone's sources sheet) or on Gradio's own wrappers could never match.
- Gradio's HTML carries link-preview tags that name Gradio ("Click to try out the app!"): they are
  replaced by the product's own, server side, because link previews never run the page's script.
- The HTML, JS and CSS are compressed (gzip) when the browser accepts it, and Gradio's
  content-hashed files may be cached for good, so a participant's second visit is quicker.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import gradio as gr
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/ui-static"
SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "Noto Sans", "sans-serif"]
DANGER, DANGER_HOVER = "#b91c1c", "#991b1b"  # Tailwind red-700 / red-800, as in Gradio's palette
MONO_FONTS = ["ui-monospace", "DejaVu Sans Mono", "monospace"]
# Smaller responses are not worth compressing (Starlette's own default).
GZIP_MIN_BYTES = 500
PRODUCT = "Digital Strategy Advisor"
DESCRIPTION = "Cited answers about the EU International Digital Strategy for SMEs, civil servants and trainers."
_GRADIO_PREVIEW_TAGS = re.compile(r"<meta\s+(?:property=\"og:|name=\"twitter:)[^>]*>\s*", re.S)
_HEAD_OPEN = re.compile(r"<head>", re.I)
UI_PATHS = ("/", "/embed/")
# Gradio's built frontend files carry a content hash in their names, so browsers may keep them.
HASHED_ASSETS = re.compile(r"^(/embed)?/assets/[^/]+-[A-Za-z0-9_-]{8,}\.(js|css)$")
IMMUTABLE = "public, max-age=31536000, immutable"



def theme() -> gr.themes.Base:
    """Gradio's default theme with system fonts and an accessible blue as the accent."""
    return gr.themes.Default(primary_hue=gr.themes.colors.blue, font=SYSTEM_FONTS, font_mono=MONO_FONTS).set(
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_600",
        button_primary_text_color="white",
        button_primary_border_color="*primary_700",
        color_accent="*primary_700",
        color_accent_soft="*primary_50",
        checkbox_label_background_fill_selected="*primary_50",
        checkbox_background_color_selected="*primary_700",
        checkbox_border_color_selected="*primary_700",
        # "Stop" and "Delete": Gradio's red-500 gives white text 3.8:1; red-700 passes AA.
        button_cancel_background_fill=DANGER,
        button_cancel_background_fill_hover=DANGER_HOVER,
        button_cancel_border_color=DANGER,
        button_cancel_text_color="white",
    )


def preview_tags(title: str = PRODUCT, description: str = DESCRIPTION) -> str:
    """The product's own description and link-preview tags (no outside image)."""
    title, description = html.escape(title), html.escape(description)
    return (
        f'<meta name="description" content="{description}" />'
        f'<meta property="og:title" content="{title}" /><meta property="og:type" content="website" />'
        f'<meta property="og:description" content="{description}" />'
        f'<meta name="twitter:card" content="summary" /><meta name="twitter:title" content="{title}" />'
        f'<meta name="twitter:description" content="{description}" />'
    )


def assets() -> str:
    """The page's stylesheet and script (deferred: it only installs listeners and observers)."""
    return (
        f'<link rel="stylesheet" href="{STATIC_URL}/advisor.css" />'
        f'<script src="{STATIC_URL}/advisor.js" defer></script>'
    )


def rewrite_head(page: str) -> str:
    """Gradio's preview tags out; ours, the stylesheet and the script in."""
    return _HEAD_OPEN.sub(lambda m: m[0] + preview_tags() + assets(), _GRADIO_PREVIEW_TAGS.sub("", page), count=1)


class PageHead:
    """Our own head on the UI pages and long caching for Gradio's hashed files, as a plain ASGI
    middleware: every other request (the queue's posts, its event streams, the API) passes through
    untouched, where a `@app.middleware("http")` wrapped each one in extra tasks and streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
        elif HASHED_ASSETS.match(path):
            await self.app(scope, receive, with_header(send, b"cache-control", IMMUTABLE.encode(), only_status=200))
        elif path in UI_PATHS:
            await self.app(scope, receive, page_rewriter(send))
        else:
            await self.app(scope, receive, send)


def with_header(send: Send, name: bytes, value: bytes, only_status: int) -> Send:
    """`send` that sets one response header (replacing it) when the status is `only_status`."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == only_status:
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != name]
            message["headers"] = [*kept, (name, value)]
        await send(message)

    return sending


def page_rewriter(send: Send) -> Send:
    """`send` that buffers an uncompressed HTML page and sends it with rewrite_head applied;
    anything else goes out as it came."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def sending(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            headers = {k.lower(): v for k, v in message.get("headers", [])}
            html_page = headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers
            if not html_page:
                await send(message)
                return
            start = message
            return
        if start is None or message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        page = rewrite_head(b"".join(chunks).decode("utf-8")).encode("utf-8")
        kept = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send({**start, "headers": [*kept, (b"content-length", str(len(page)).encode())]})
        await send({"type": "http.response.body", "body": page})

    return sending


def install_page(app: FastAPI) -> None:
    """The page assets, our own head on the UI pages, and compression of everything but streams.
    Call before Gradio is mounted at "/", which would otherwise answer STATIC_URL."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="ui-static")
    app.add_middleware(PageHead)
    # Added last, so outermost: it compresses the rewritten page too. Event streams are excluded.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES)
