"""FastAPI dependencies: the advisor of this app, the admin check for document writes and the
trainer check for workshops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, NoReturn

from fastapi import Depends, Request

from advisor.auth import admin_key_problem, trainer_key_problem
from advisor.components import Advisor
from advisor.http.errors import ApiError
from advisor.http.limits import Limiter, retry_message


def get_advisor(request: Request) -> Advisor:
    return request.app.state.advisor


AdvisorDep = Annotated[Advisor, Depends(get_advisor)]


def bearer_key(request: Request) -> str:
    """The key of `Authorization: Bearer KEY` (or `X-Admin-Key: KEY`); empty when there is none."""
    auth = request.headers.get("authorization", "")
    return request.headers.get("x-admin-key") or (auth[7:].strip() if auth.lower().startswith("bearer ") else "")


def throttled(request: Request, check: Callable[[str], tuple[str, str] | None], wrong: str) -> tuple[str, str] | None:
    """The key rule's verdict on the request's key, unless this client already guessed wrong
    ADVISOR_ADMIN_FAILURES_PER_MINUTE times (then 429, even for the right key); a verdict of
    `wrong` (a key that does not match) counts as one more guess."""
    limiter: Limiter = request.app.state.limiter
    client = limiter.client(request.client.host if request.client else None, request.headers.get("x-forwarded-for"))
    wait = limiter.key_blocked(client)
    if wait > 0:
        message, retry = retry_message("too many wrong keys from this client", wait)
        raise ApiError(429, "rate_limited", message, {"Retry-After": str(retry)})
    problem = check(bearer_key(request))
    if problem is not None and problem[0] == wrong:
        limiter.key_failed(client)
    return problem


def require_admin(request: Request, advisor: AdvisorDep) -> None:
    """401 without a key, 403 with a wrong one or when the server has none configured, 429 after too
    many wrong keys. The key is checked before the body is read, so an anonymous upload costs the
    server nothing."""
    problem = throttled(request, lambda key: admin_key_problem(advisor.settings.admin_key, key), "forbidden")
    if problem is not None:
        refuse(problem, 401 if problem[0] == "unauthorized" else 403)


def refuse(problem: tuple[str, str], status: int) -> NoReturn:
    """Raise the key rule's (code, message) as an error; a 401 says how to authenticate."""
    code, message = problem
    raise ApiError(status, code, message, {"WWW-Authenticate": "Bearer"} if status == 401 else None)


AdminDep = Depends(require_admin)


def require_trainer(request: Request, advisor: AdvisorDep) -> None:
    """Workshop management: 401 without a key or with a wrong one (the caller must authenticate
    again), 403 when the server has no trainer or admin key at all."""
    settings = advisor.settings
    problem = throttled(request, lambda key: trainer_key_problem(settings.trainer_key, settings.admin_key, key), "invalid_key")
    if problem is not None:
        refuse(problem, 403 if problem[0] == "trainer_disabled" else 401)


TrainerDep = Depends(require_trainer)
