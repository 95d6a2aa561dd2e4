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


def trainer_key_problem(
    trainer_key: SecretStr | None, admin_key: SecretStr | None, given: str | None
) -> tuple[str, str] | None:
    """(code, message) saying why a workshop may not be created or read, or None when it may.
    Either key works: the trainer key (ADVISOR_TRAINER_KEY) or the admin key. With neither
    configured, workshops are disabled rather than open to anybody."""
    configured = [k.get_secret_value() for k in (trainer_key, admin_key) if k is not None and k.get_secret_value()]
    if not configured:
        return "trainer_disabled", "workshops are disabled: the server has neither ADVISOR_TRAINER_KEY nor ADVISOR_ADMIN_KEY set"
    if not given:
        return "unauthorized", "a trainer key is required (Authorization: Bearer KEY)"
    # Compare with every key (no early exit), so the time taken does not tell which one was close.
    matches = [hmac.compare_digest(given.encode(), key.encode()) for key in configured]
    return None if any(matches) else ("invalid_key", "the trainer key is not valid")
