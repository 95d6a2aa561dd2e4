"""Workshop embed: the one-line script trainers paste, and who may frame /embed.

The snippet (advisor.http.workshops.snippet, also in each workshop's links) is served by this
server and only inserts an iframe pointing back at this server's
/embed page, so a workshop page needs nothing from outside. Attributes become URL parameters
(audience, workshop); they are passed through URLSearchParams, never concatenated into HTML.
Framing is limited with CSP `frame-ancestors` to the same allowlist as CORS
(ADVISOR_CORS_ORIGINS), so only the trainers' sites can embed the chat (advisor/http/headers.py,
which sets every response's security headers).
"""

from __future__ import annotations

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
  var frame = document.createElement("iframe");
  frame.src = origin + "/embed/?" + params.toString();
  frame.title = script.getAttribute("data-title") || "Digital Strategy Advisor";
  frame.loading = "lazy";
  frame.setAttribute("allow", "clipboard-write");
  frame.style.width = "100%";
  frame.style.maxWidth = script.getAttribute("data-max-width") || "900px";
  frame.style.height = script.getAttribute("data-height") || "760px";
  frame.style.border = "1px solid #d9dde3";
  frame.style.borderRadius = "10px";
  var target = script.getAttribute("data-target");
  var host = target ? document.querySelector(target) : null;
  if (host) { host.appendChild(frame); } else { script.parentNode.insertBefore(frame, script.nextSibling); }
})();
"""


def create_embed_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/embed.js")
    def embed_js() -> Response:
        return Response(EMBED_JS, media_type="application/javascript", headers={"Cache-Control": "max-age=300"})

    @router.get("/embed")
    def embed_redirect(request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/embed/{query}", status_code=307)

    return router
