"""FastAPI dependencies: the advisor of this app, and the admin check for document writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from advisor.auth import admin_key_problem
from advisor.components import Advisor
from advisor.http.errors import ApiError


def get_advisor(request: Request) -> Advisor:
    return request.app.state.advisor


AdvisorDep = Annotated[Advisor, Depends(get_advisor)]


def require_admin(request: Request, advisor: AdvisorDep) -> None:
    """401 without a key, 403 with a wrong one or when the server has none configured. The key is
    checked before the body is read, so an anonymous upload costs the server nothing."""
    auth = request.headers.get("authorization", "")
    given = request.headers.get("x-admin-key") or (auth[7:].strip() if auth.lower().startswith("bearer ") else "")
    problem = admin_key_problem(advisor.settings.admin_key, given)
    if problem is None:
        return
    code, message = problem
    status = 401 if code == "unauthorized" else 403
    raise ApiError(status, code, message, {"WWW-Authenticate": "Bearer"} if status == 401 else None)


AdminDep = Depends(require_admin)
