"""FastAPI dependencies: the advisor of this app, and the admin check for document writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from advisor.auth import admin_key_problem
from advisor.components import Advisor
from advisor.http.errors import ApiError
from advisor.http.limits import AbuseLimits, retry_message


def get_advisor(request: Request) -> Advisor:
    return request.app.state.advisor


AdvisorDep = Annotated[Advisor, Depends(get_advisor)]


def require_admin(request: Request, advisor: AdvisorDep) -> None:
    """401 without a key, 403 with a wrong one or when the server has none configured, 429 once a
    client has guessed wrong ADVISOR_ADMIN_FAILURES_PER_MINUTE times. The key is checked before the
    body is read, so an anonymous upload costs the server nothing."""
    limits: AbuseLimits = request.app.state.limits
    client = limits.client(request.client.host if request.client else None, request.headers.get("x-forwarded-for"))
    wait = limits.admin_blocked(client)
    if wait > 0:
        message, retry = retry_message("too many wrong admin keys from this client", wait)
        raise ApiError(429, "rate_limited", message, {"Retry-After": str(retry)})
    auth = request.headers.get("authorization", "")
    given = request.headers.get("x-admin-key") or (auth[7:].strip() if auth.lower().startswith("bearer ") else "")
    problem = admin_key_problem(advisor.settings.admin_key, given)
    if problem is None:
        return
    code, message = problem
    if code == "forbidden":
        limits.admin_failed(client)
    status = 401 if code == "unauthorized" else 403
    raise ApiError(status, code, message, {"WWW-Authenticate": "Bearer"} if status == 401 else None)


AdminDep = Depends(require_admin)
