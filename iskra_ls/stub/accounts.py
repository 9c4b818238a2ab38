"""Accounts, daily quotas and the e-mail sign-in flow of the stub Iskra server.

Iskra counts requests per account per UTC day against a tier's limit and hands out
JWTs after an e-mail code round trip. The stub keeps the same state in memory so the
client's quota handling (429, ``Retry-After``, ``/auth/me``) and its login command can
be exercised for real. Tokens are only dictionary keys here: never logged.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any

TIER_LIMITS = {"free": 20, "pro": 500, "pro+": 2000}
"""Requests per day of each documented tier."""

DEFAULT_EMAIL = "user@example.com"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def utc_today() -> dt.date:
    """Today's date in UTC: Iskra's quota day."""
    return dt.datetime.now(dt.UTC).date()


def seconds_until_utc_midnight() -> int:
    """Whole seconds until the quota resets (at least 1)."""
    now = dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    return max(1, int((midnight - now).total_seconds()))


def limit_for_tier(tier: str, fallback: int) -> int:
    """The documented daily limit of ``tier``, or ``fallback`` for an unknown tier."""
    return TIER_LIMITS.get(tier, fallback)


@dataclass
class Account:
    """One token's usage for the current UTC day."""

    tier: str
    limit: int
    requests_today: int = 0
    tokens_today: int = 0
    email: str = DEFAULT_EMAIL
    day: dt.date = field(default_factory=utc_today)

    @property
    def remaining(self) -> int:
        """Requests left today."""
        return max(0, self.limit - self.requests_today)

    def roll_over(self) -> None:
        """Start a fresh day's count when the UTC date has changed."""
        today = utc_today()
        if self.day != today:
            self.day = today
            self.requests_today = 0
            self.tokens_today = 0

    def me(self) -> dict[str, Any]:
        """The ``GET /auth/me`` answer for this account."""
        return {
            "user": {"email": self.email, "tier": self.tier},
            "usage": {
                "requestsToday": self.requests_today,
                "tokensToday": self.tokens_today,
                "limit": self.limit,
                "remaining": self.remaining,
            },
        }


class AuthFlowError(ValueError):
    """A sign-in step was refused; the message is shown to the client."""


@dataclass
class AuthFlow:
    """The three sign-in steps: send a code, verify it, complete registration."""

    codes: dict[str, str] = field(default_factory=dict)
    verified: set[str] = field(default_factory=set)

    def send_code(self, body: Any) -> str:
        """Make and remember a 6-digit code for the e-mail; print it to stderr."""
        email = _email_of(body)
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.codes[email] = code
        self.verified.discard(email)
        print(f"Iskra stub: code for {email} is {code}", file=sys.stderr, flush=True)
        return email

    def verify(self, body: Any) -> str:
        """Accept the code sent to the e-mail."""
        email = _email_of(body)
        code = body.get("code")
        if not isinstance(code, str | int) or str(code).strip() != self.codes.get(email):
            raise AuthFlowError("Wrong or expired code.")
        self.verified.add(email)
        return email

    def complete(self, body: Any) -> tuple[str, str]:
        """Issue a token for an e-mail that passed ``verify`` (an optional ``code`` must match)."""
        email = _email_of(body)
        if email not in self.verified:
            raise AuthFlowError("This e-mail address has not been verified.")
        code = body.get("code")
        if code is not None and str(code).strip() != self.codes.get(email):
            raise AuthFlowError("Wrong or expired code.")
        self.verified.discard(email)
        self.codes.pop(email, None)
        return email, make_jwt(email)


def make_jwt(email: str) -> str:
    """A JWT-looking token (three base64url parts); the stub never checks the signature."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = json.dumps({"alg": "HS256", "typ": "JWT"}).encode()
    now = int(time.time())
    claims = {"sub": email, "iat": now, "exp": now + 30 * 86400, "jti": secrets.token_hex(8)}
    return ".".join(
        (part(header), part(json.dumps(claims).encode()), part(secrets.token_bytes(32)))
    )


def _email_of(body: Any) -> str:
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str) or not _EMAIL.match(email.strip()):
        raise AuthFlowError("A valid e-mail address is required.")
    return email.strip().lower()
