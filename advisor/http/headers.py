"""Security headers on every response, and the content policy the UI and embed pages run under.

- `X-Content-Type-Options: nosniff`: a browser never runs a JSON answer or an upload as a script.
- `Referrer-Policy: strict-origin-when-cross-origin`: workshop pages never see our paths or queries.
- `Content-Security-Policy`: scripts, styles, connections and frames only from this server.
  Gradio needs inline scripts and styles (its bootstrap, the Plan tab's PLAN_HEAD) and `eval` (its HTML
  component compiles templates with `new Function`: without 'unsafe-eval' the sources panel never
  renders, seen in Chromium), so those stay allowed; what answers could inject is inert anyway
  (advisor.answer.render.markdown_safe), and the policy stops anything loaded from elsewhere,
  plugins, `<base>` rewrites and foreign form targets.
  `frame-ancestors` lets the allowlisted workshop origins (ADVISOR_CORS_ORIGINS) frame `/embed`,
  and nobody but this server frame the rest.

HSTS is left to the TLS-terminating proxy (docs/operations.md): this server speaks plain HTTP
on its own and cannot know whether it is reached over TLS.

A plain ASGI middleware, so streamed answers pass through untouched.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from advisor.http.docs import DOCS_PATH, REDOC_PATH

PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'"
)
# /docs and /redoc (advisor.http.docs, local Swagger UI / ReDoc): both bootstrap inline and ReDoc
# renders in a blob worker; images, fonts and fetches stay on this server, so the browser never asks
# for the logo ReDoc's sidebar links from its CDN (ReDoc hides the broken image).
DOCS_PATHS = (DOCS_PATH, REDOC_PATH)
DOCS_POLICY = "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:"
ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


def frame_ancestors(origins: list[str]) -> str:
    """Who may frame the embed: this server and the allowlisted workshop origins ('*': anyone)."""
    if "*" in origins:
        return "frame-ancestors *"
    return "frame-ancestors " + " ".join(["'self'", *origins])


def is_embed(path: str) -> bool:
    return path == "/embed" or path.startswith("/embed/")


def policy_for(path: str, origins: list[str]) -> str:
    frames = frame_ancestors(origins) if is_embed(path) else "frame-ancestors 'self'"
    if path.startswith(DOCS_PATHS):
        return f"{DOCS_POLICY}; {frames}"
    return f"{PAGE_POLICY}; {frames}"


class SecurityHeaders:
    """Adds the headers above to every HTTP response (replacing any the app set itself)."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*ALWAYS, (b"content-security-policy", policy_for(scope.get("path", ""), self.origins).encode())]
        names = {name for name, _ in extra}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + extra
            await send(message)

        await self.app(scope, receive, with_headers)
