"""Who may write documents: the admin-key rule, shared by the HTTP API and the UI."""

from __future__ import annotations

import hmac

from pydantic import SecretStr


def admin_key_problem(configured: SecretStr | None, given: str | None) -> tuple[str, str] | None:
    """(code, message) saying why a write may not proceed, or None when it may.
    No key configured means no writes at all, never an open door."""
    if configured is None or not configured.get_secret_value():
        return "admin_disabled", "document upload and delete are disabled: the server has no ADVISOR_ADMIN_KEY set"
    if not given:
        return "unauthorized", "an admin key is required (Authorization: Bearer KEY or X-Admin-Key: KEY)"
    if not hmac.compare_digest(given.encode(), configured.get_secret_value().encode()):
        return "forbidden", "the admin key is not valid"
    return None
