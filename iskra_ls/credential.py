"""What an Iskra credential looks like: a JWT (pure; no I/O).

Iskra signs users in with JWTs. Only a string of that shape is ever used as the token
or masked as one: a setting such as ``{"token": "self"}`` would otherwise go out as
``Bearer self`` and turn every ``self`` the server sends into ``****``. The shape is
three base64url parts whose first two decode to JSON objects (header and claims); the
signature is not checked (only the service can).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

MAX_TOKEN_CHARS = 16_384
"""Far above any real JWT; a longer string is no token."""

_PART = re.compile(r"[A-Za-z0-9_-]+")


def _claims_part(part: str) -> dict[str, Any] | None:
    """A JWT header or payload decoded, or None when it is not a base64url JSON object."""
    if not _PART.fullmatch(part):
        return None
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def is_credential(text: object) -> bool:
    """Whether ``text`` is shaped like an Iskra token (a JWT)."""
    if not isinstance(text, str) or not 0 < len(text) <= MAX_TOKEN_CHARS:
        return False
    parts = text.split(".")
    if len(parts) != 3 or not _PART.fullmatch(parts[2]):
        return False
    return _claims_part(parts[0]) is not None and _claims_part(parts[1]) is not None


def subject(token: str) -> str | None:
    """The JWT's ``sub`` claim (the user it was issued to), or None."""
    if not is_credential(token):
        return None
    claims = _claims_part(token.split(".")[1]) or {}
    sub = claims.get("sub")
    return str(sub) if isinstance(sub, str | int) and str(sub) else None


def fingerprint(token: str) -> str:
    """A stable, one-way name for a token (the ledger keeps this, never the token)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


NOT_A_CREDENTIAL = (
    "is not an Iskra token (a JWT: three dot-separated base64url parts); it is not used. "
    "Sign in with `iskra-ls login` (or Iskra: Sign in in your editor)."
)
"""The end of the message that names where a refused token came from."""
