"""Workshop embed: the one-line script trainers paste, and who may frame /embed.

The snippet (advisor.http.workshops.snippet, also in each workshop's links) is served by this
server and only inserts an iframe pointing back at this server's /embed page, so a workshop page needs nothing from outside. Attributes become URL parameters
(audience, workshop, theme); they are passed through URLSearchParams, never concatenated into HTML.
The frame's height follows its content: the chat posts `{type: "advisor:height"}` messages and the
snippet accepts them only from its own frame and this server's origin (`data-height` fixes it).
Framing is limited with CSP `frame-ancestors` to the same allowlist as CORS
(ADVISOR_CORS_ORIGINS), so only the trainers' sites can embed the chat (advisor/http/headers.py,
which sets every response's security headers).
"""

from __future__ import annotations

from string import Template

from fastapi import APIRouter, Request, Response
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

