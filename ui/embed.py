"""Workshop embed: the one-line script trainers paste, and who may frame /embed.

The snippet is served by this server and only inserts an iframe pointing back at this server's
/embed page, so a workshop page needs nothing from outside. Attributes become URL parameters
(audience, workshop, theme); they are passed through URLSearchParams, never concatenated into HTML.
The frame's height follows its content: the chat posts `{type: "advisor:height"}` messages and the
snippet accepts them only from its own frame and this server's origin (`data-height` fixes it).
Framing is limited with CSP `frame-ancestors` to the same allowlist as CORS
(ADVISOR_CORS_ORIGINS), so only the trainers' sites can embed the chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from string import Template

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import RedirectResponse

EMBED_JS = """(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var origin = new URL(script.src, document.baseURI).origin;
  var params = new URLSearchParams();
  ["audience", "workshop"].forEach(function (name) {
    var value = script.getAttribute("data-" + name);
    if (value) { params.set(name, value); }
  });
  var theme = script.getAttribute("data-theme");
  if (theme === "light" || theme === "dark") { params.set("__theme", theme); }
  var height = script.getAttribute("data-height") || "auto";
  var frame = document.createElement("iframe");
  frame.src = origin + "/embed/?" + params.toString();
  frame.title = script.getAttribute("data-title") || "Digital Strategy Advisor";
  frame.setAttribute("allow", "clipboard-write");
  frame.style.width = "100%";
  frame.style.maxWidth = script.getAttribute("data-max-width") || "900px";
  frame.style.height = height === "auto" ? "${initial}px" : height;
  frame.style.border = "1px solid #d9dde3";
  frame.style.borderRadius = "10px";
  frame.style.display = "block";
  if (height === "auto") {
    // The chat reports its content height; the frame follows it, so the page scrolls, not the frame.
    window.addEventListener("message", function (event) {
      var data = event.data;
      if (event.source !== frame.contentWindow || event.origin !== origin || !data || data.type !== "advisor:height") { return; }
      var px = Math.round(Number(data.height));
      if (px >= ${minimum} && px <= ${maximum}) { frame.style.height = px + "px"; }
    });
  }
  var target = script.getAttribute("data-target");
  var host = target ? document.querySelector(target) : null;
  if (host) { host.appendChild(frame); } else { script.parentNode.insertBefore(frame, script.nextSibling); }
})();
"""


# The frame starts at this height and follows the chat's reported height within these bounds
# (a bound keeps a misbehaving page from making the host page absurdly tall or zero high).
INITIAL_HEIGHT_PX = 760
MIN_HEIGHT_PX = 320
MAX_HEIGHT_PX = 6000


def embed_script() -> str:
    """embed.js with its height bounds filled in."""
    return Template(EMBED_JS).substitute(initial=INITIAL_HEIGHT_PX, minimum=MIN_HEIGHT_PX, maximum=MAX_HEIGHT_PX)


def snippet(base_url: str, audience: str | None = None, workshop: str | None = None) -> str:
    """The line a trainer pastes into a workshop page."""
    attrs = "".join(f' data-{k}="{v}"' for k, v in (("audience", audience), ("workshop", workshop)) if v)
    return f'<script src="{base_url.rstrip("/")}/embed.js"{attrs} async></script>'


def frame_ancestors(origins: list[str]) -> str:
    if "*" in origins:
        return "frame-ancestors *"
    return "frame-ancestors " + " ".join(["'self'", *origins])


def create_embed_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/embed.js")
    def embed_js() -> Response:
        return Response(embed_script(), media_type="application/javascript", headers={"Cache-Control": "max-age=300"})

    @router.get("/embed")
    def embed_redirect(request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/embed/{query}", status_code=307)

    return router


def install_frame_policy(app: FastAPI, origins: list[str]) -> None:
    """/embed may be framed by the allowlisted origins; the rest of the site only by itself."""
    policy = frame_ancestors(origins)

    @app.middleware("http")
    async def _frame_policy(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        path = request.url.path
        embeddable = path == "/embed" or path.startswith("/embed/")
        own = policy if embeddable else "frame-ancestors 'self'"
        earlier = response.headers.get("Content-Security-Policy")  # e.g. /docs's own policy
        response.headers["Content-Security-Policy"] = f"{earlier}; {own}" if earlier else own
        return response
