"""Logging to stderr, with every secret masked before it reaches a handler.

stdout is the LSP channel, so logs only ever go to stderr. The Iskra token is
a bearer credential: it must not show in logs, traces or error messages even
when a third-party library (openai, httpx2, aiohttp, pygls) logs a request at
debug level, or an exception's text happens to contain it. A
:class:`SecretMaskFilter` on the root handler(s) formats each record first
(message, args, exception, stack) and then masks the result, so nothing
downstream can re-format the raw values.

What is masked: every credential given to :func:`register_secret` (only a JWT-shaped
string is one: masking ``self`` would garble every message), ``Bearer ...``,
the value of ``Authorization`` headers and of ``token``-like fields (an editor's
settings payload is logged by pygls before the server has read it), and anything
shaped like a JWT. Outgoing LSP messages go through :func:`mask_secret_bytes`
(registered secrets only) at the protocol's writer.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from typing import TextIO

from iskra_ls.credential import is_credential

REDACTED = "***"

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_secret_pattern: re.Pattern[str] | None = None
_secret_bytes: tuple[bytes, ...] = ()
"""Each secret as it appears in UTF-8 JSON text, longest first (see :func:`mask_secret_bytes`)."""

_BEARER = re.compile(r"(?i)\b(bearer)(\s+)[^\s\"'`,;)}\]]+")
_AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization)([\"']?\s*[:=,]\s*(?:b(?=[\"']))?[\"']?)[^\"'\r\n]*"
)
_TOKEN_FIELD = re.compile(
    r"(?i)(?<![\w-])((?:token|access_?token|id_?token|api_?key|jwt|secret|password)"
    r"[\"']?\s*[:=]\s*)(?:([\"'])(?:(?!\2).)+\2|[^\s\"',;&)}\]]+)"
)
"""``"token": "..."`` / ``token=...``: a token in a settings payload before it is registered."""
_JWT = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]{8,}){2}(?![A-Za-z0-9_-])")
_NOT_JUST_WORDS = re.compile(r"[A-Z0-9]")

QUIET_LOGGERS: tuple[str, ...] = (
    "openai",
    "httpx",
    "httpx2",
    "httpcore",
    "httpcore2",
    "aiohttp",
    "pygls",
    "watchfiles",
    "asyncio",
)
"""Third-party loggers kept at WARNING unless the level is debug."""

_LEVELS = {
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}


def register_secret(secret: str | None) -> None:
    """Mask ``secret`` (a token) wherever it shows up in logs, :func:`mask` output and
    outgoing LSP messages. Only a credential (a JWT) is registered: anything else is
    refused as a token before it is used, so it has nothing to hide."""
    global _secret_pattern, _secret_bytes
    secret = (secret or "").strip()
    if not is_credential(secret):
        return
    with _secrets_lock:
        if secret in _secrets:
            return
        _secrets.add(secret)
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _secret_pattern = re.compile("|".join(re.escape(s) for s in ordered))
        forms = {form for s in ordered for form in _json_forms(s)}
        _secret_bytes = tuple(sorted(forms, key=len, reverse=True))


def _json_forms(secret: str) -> set[bytes]:
    """The secret's bytes raw and JSON-escaped (both ``ensure_ascii`` settings)."""
    return {
        secret.encode("utf-8"),
        json.dumps(secret)[1:-1].encode("ascii"),
        json.dumps(secret, ensure_ascii=False)[1:-1].encode("utf-8"),
    }


def mask_secret_bytes(data: bytes) -> bytes:
    """``data`` with every registered secret overwritten by ``*`` of the same length.

    For outgoing protocol messages: only the registered secrets (the token) are
    masked, nothing that merely looks like one, so the user's code and progress
    tokens pass untouched; the length stays, so a ``Content-Length`` header
    already computed stays right.
    """
    for secret in _secret_bytes:
        if secret in data:
            data = data.replace(secret, b"*" * len(secret))
    return data


def _mask_jwt(match: re.Match[str]) -> str:
    text = match.group(0)
    # Dotted lowercase names (``iskra_ls.completion.scheduler``) are not tokens;
    # real JWT parts are base64url of JSON and random bytes, with capitals or digits.
    if all(_NOT_JUST_WORDS.search(part) for part in text.split(".")):
        return REDACTED
    return text


def _mask_field(match: re.Match[str]) -> str:
    quote = match.group(2) or ""
    return f"{match.group(1)}{quote}{REDACTED}{quote}"


def mask(text: str) -> str:
    """``text`` with registered secrets, bearer values, auth headers and JWTs masked."""
    if not text:
        return text
    pattern = _secret_pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    text = _TOKEN_FIELD.sub(_mask_field, text)
    text = _AUTH_HEADER.sub(rf"\1\2{REDACTED}", text)
    text = _BEARER.sub(rf"\1\2{REDACTED}", text)
    return _JWT.sub(_mask_jwt, text)


class SecretMaskFilter(logging.Filter):
    """Formats a record's message, args, exception and stack, then masks them.

    Install it on handlers (not loggers): handler filters see records that
    propagate from every logger, third-party ones included.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_iskra_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not leak its args either
            message = f"{record.msg!s} {record.args!r}"
        record.msg = mask(message)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            # Handlers further on must use the masked text, never the live exception.
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        record._iskra_masked = True
        return True


def install_mask_filter(handler: logging.Handler) -> None:
    """Add the masking filter to ``handler`` (once)."""
    if not any(isinstance(f, SecretMaskFilter) for f in handler.filters):
        handler.addFilter(SecretMaskFilter())


def level_number(level: str | int) -> int:
    """``"info"`` → ``logging.INFO``; unknown names fall back to INFO."""
    if isinstance(level, int):
        return level
    return _LEVELS.get(level.strip().lower(), logging.INFO)


def set_level(level: str | int) -> None:
    """Change the log level at run time (the ``logLevel`` setting)."""
    number = level_number(level)
    logging.getLogger().setLevel(number)
    quiet = logging.DEBUG if number <= logging.DEBUG else max(number, logging.WARNING)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)


class _IskraHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """Marks the handler :func:`setup_logging` owns, so a second call replaces it."""


def setup_logging(level: str | int = "info", stream: TextIO | None = None) -> logging.Handler:
    """Send all logging to ``stream`` (stderr by default), masked; returns the handler."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _IskraHandler)]:
        root.removeHandler(old)
    handler = _IskraHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
    )
    root.addHandler(handler)
    for each in root.handlers:
        install_mask_filter(each)
    set_level(level)
    logging.captureWarnings(True)
    return handler
