"""What ``GET /auth/me`` and the sign-in steps answer, read defensively (pure).

The service's answer is input like any other: ``"remaining": Infinity`` (Python's JSON
reader accepts it), ``"email": 5`` or a list where an object belongs must give unknown
figures, never an exception in the middle of a status update.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

from iskra_ls import errors

MAX_FIGURE = 10**9
"""A daily figure above this is nonsense (pro+ allows 2000 requests a day)."""
MAX_TEXT = 200
"""Longest e-mail or tier name kept."""


def figure(value: Any) -> int | None:
    """A usage figure: a whole number from 0 to :data:`MAX_FIGURE`, else unknown (None)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = int(value)
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_FIGURE else None


def text(value: Any) -> str | None:
    """A short display string (e-mail, tier), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:MAX_TEXT]


class Account(BaseModel):
    """What ``GET /auth/me`` says about the signed-in user."""

    email: str | None = None
    tier: str | None = None
    requests_today: int | None = None
    tokens_today: int | None = None
    limit: int | None = None
    remaining: int | None = None

    @classmethod
    def from_me(cls, body: Any) -> Account:
        if not isinstance(body, dict):
            raise errors.MalformedResponse("/auth/me did not return an object")
        user: dict[str, Any] = body["user"] if isinstance(body.get("user"), dict) else {}
        usage: dict[str, Any] = body["usage"] if isinstance(body.get("usage"), dict) else {}
        limit = figure(usage.get("limit"))
        used = figure(usage.get("requestsToday"))
        remaining = figure(usage.get("remaining"))
        if remaining is None and limit is not None and used is not None:
            remaining = max(limit - used, 0)
        return cls(
            email=text(user.get("email")),
            tier=text(user.get("tier")),
            requests_today=used,
            tokens_today=figure(usage.get("tokensToday")),
            limit=limit,
            remaining=remaining,
        )

    def to_me(self) -> dict[str, Any]:
        """Back to Iskra's own camelCase shape (for ``status --json``)."""
        return {
            "user": {"email": self.email, "tier": self.tier},
            "usage": {
                "requestsToday": self.requests_today,
                "tokensToday": self.tokens_today,
                "limit": self.limit,
                "remaining": self.remaining,
            },
        }


def extract_token(body: Any) -> str | None:
    """Find the JWT in a login response, wherever the service put it."""
    if not isinstance(body, dict):
        return None
    for key in ("token", "accessToken", "access_token", "jwt", "idToken"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    for key in ("data", "result", "auth"):
        nested = extract_token(body.get(key))
        if nested:
            return nested
    return None
