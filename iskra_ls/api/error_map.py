"""Every failure of a call, as the user-worded error of :mod:`iskra_ls.errors`.

The openai SDK and its transport (httpx2) raise their own exceptions; the rest of the
server only ever sees these. ``Unreachable`` means no connection was made, so the request
never reached the service (its quota reservation is given back).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from iskra_ls import errors

_BROKEN_ANSWER = ("RemoteProtocolError", "ReadError")
"""Transport errors that mean the connection was up and the answer broke off."""


def translate_error(
    exc: BaseException,
    api_url: str = "",
    *,
    timeout: float | None = None,
    auth_step: bool = False,
    mid_stream: bool = False,
) -> errors.IskraError:
    """Map an openai / transport exception to the user-worded domain error."""
    if isinstance(exc, errors.IskraError):
        return exc
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return errors.TimedOut(timeout)
    if isinstance(exc, openai.APIConnectionError):
        cause = type(exc.__cause__ or exc).__name__
        if mid_stream or cause in _BROKEN_ANSWER:
            # The service was reached; its answer broke off (or never came).
            return errors.StreamEndedEarly("the connection closed before the end of the answer")
        return errors.Unreachable(api_url, cause)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if 300 <= status < 400:
            return errors.Redirected(api_url, _location(exc))
        detail = _error_detail(exc)
        if status == 401 and not auth_step:
            return errors.TokenRejected()
        if status == 429:
            return errors.QuotaExhausted(_retry_after(exc))
        if 400 <= status < 500:
            return errors.BadRequest(detail or f"HTTP {status}")
        return errors.ServiceError(status, detail)
    if isinstance(exc, openai.APIError):  # an error event inside a stream
        return errors.StreamEndedEarly(_error_detail(exc) or "the service reported an error")
    if isinstance(exc, json.JSONDecodeError | ValueError | TypeError | KeyError):
        return errors.MalformedResponse(type(exc).__name__)
    if isinstance(exc, asyncio.TimeoutError):
        return errors.TimedOut(timeout)
    if _is_transport_error(exc):
        # The raw body is read by us, not the SDK: httpx's own errors arrive unwrapped.
        if mid_stream or type(exc).__name__ in _BROKEN_ANSWER:
            return errors.StreamEndedEarly("the connection closed before the end of the answer")
        return errors.Unreachable(api_url, type(exc).__name__)
    return errors.ServiceError(None, type(exc).__name__)


def _is_transport_error(exc: BaseException) -> bool:
    """An httpx (httpx2) transport error, matched by name so no import is needed."""
    return any(cls.__name__ == "TransportError" for cls in type(exc).__mro__)


def _error_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])[:300]
        if isinstance(body.get("message"), str):
            return str(body["message"])[:300]
    message = getattr(exc, "message", "")
    return str(message)[:300] if message else ""


def _location(exc: Any) -> str:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    location = headers.get("location") if headers is not None else None
    return str(location)[:300] if location else ""


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
