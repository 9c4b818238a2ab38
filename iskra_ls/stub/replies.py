"""Canned answers for the stub Iskra server, and the faults they can carry.

Tests script what the "model" says with :class:`Reply` values instead of running a
model: plain text, tool calls, an HTTP error, each optionally broken on purpose
(connection dropped, malformed chunk, error event, stall) so that the client's
handling of a misbehaving service can be tested without a real one.

``Reply.from_json`` reads the same shapes from JSON, so a stub running as a separate
process can be scripted over HTTP (``POST /_stub/script``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

FAULT_KEYS = (
    "drop_after_chunks",
    "malformed_chunk_at",
    "error_event",
    "stall_seconds",
    "finish_reason",
)

DEFAULT_TEXT = "pass"
"""What the stub answers, with no script, to a request without ``tools`` (a completion)."""

DEFAULT_TOOLS_TEXT = "Done."
"""What the stub answers, with no script, to a request with ``tools`` (an action): no edit."""


class Faults(TypedDict, total=False):
    """Fault knobs accepted by :meth:`Reply.text` and :meth:`Reply.tool_calls`."""

    drop_after_chunks: int | None
    malformed_chunk_at: int | None
    error_event: str | None
    stall_seconds: float | None
    finish_reason: str | None


@dataclass(frozen=True)
class ToolCall:
    """One function call the model asks for; ``arguments`` is sent verbatim (a JSON string)."""

    name: str
    arguments: str
    id: str | None = None


@dataclass(frozen=True)
class Reply:
    """One scripted answer to one chat request.

    Faults (counted in content/tool-call chunks after the role chunk, 1-based):

    - ``drop_after_chunks``: close the connection abruptly after N chunks (no
      ``finish_reason``, no ``[DONE]``); 0 drops right after the role chunk. Non-streamed:
      the connection closes without any response.
    - ``malformed_chunk_at``: chunk N goes out as a ``data:`` line that is not JSON.
      Non-streamed: the body is not JSON.
    - ``error_event``: after the first chunk, send ``data: {"error": {"message": ...}}`` and
      end the stream. Non-streamed: a 500 error with that message.
    - ``stall_seconds``: after the first chunk, wait that long before going on.
      Non-streamed: wait before answering.
    - ``finish_reason``: overrides ``stop`` / ``tool_calls``.
    """

    content: str | None = None
    calls: tuple[ToolCall, ...] = ()
    status: int | None = None
    message: str | None = None
    retry_after: float | str | None = None
    """Seconds for ``Retry-After``; a string is sent verbatim (``"inf"``, garbage...)."""
    drop_after_chunks: int | None = None
    malformed_chunk_at: int | None = None
    error_event: str | None = None
    stall_seconds: float | None = None
    finish_reason: str | None = None

    @property
    def is_error(self) -> bool:
        """True for an HTTP error answer (``Reply.error``)."""
        return self.status is not None

    @property
    def effective_finish_reason(self) -> str:
        """The ``finish_reason`` the answer ends with."""
        if self.finish_reason:
            return self.finish_reason
        return "tool_calls" if self.calls else "stop"

    @classmethod
    def text(cls, content: str, **faults: Unpack[Faults]) -> Reply:
        """A plain text answer."""
        return cls(content=content, **faults)

    @classmethod
    def tool_calls(
        cls,
        calls: Iterable[tuple[str, Mapping[str, Any] | str]],
        content: str | None = None,
        **faults: Unpack[Faults],
    ) -> Reply:
        """An answer asking for tool calls; dict arguments are JSON-encoded, strings sent raw."""
        built = tuple(ToolCall(name, _encode_arguments(args)) for name, args in calls)
        if not built:
            raise ValueError("Reply.tool_calls needs at least one call")
        return cls(content=content, calls=built, **faults)

    @classmethod
    def error(
        cls, status: int, message: str = "Stub error", retry_after: float | str | None = None
    ) -> Reply:
        """An HTTP error answer with an OpenAI-style error body (and ``Retry-After`` if given)."""
        if not 400 <= status <= 599:
            raise ValueError(f"error status must be 4xx or 5xx, not {status}")
        return cls(status=status, message=message, retry_after=retry_after)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reply:
        """Read a reply from its JSON form; raises ``ValueError`` naming what is wrong.

        Shapes: ``{"content": "..."}``, ``{"tool_calls": [{"name", "arguments"}], "content"?}``,
        ``{"error": {"status", "message"?, "retry_after"?}}``, plus the fault keys.
        """
        if not isinstance(data, Mapping):
            raise ValueError("a reply must be a JSON object")
        unknown = set(data) - {"content", "tool_calls", "error", *FAULT_KEYS}
        if unknown:
            raise ValueError(f"unknown reply keys: {', '.join(sorted(unknown))}")
        faults = _read_faults(data)
        if "error" in data:
            if "content" in data or "tool_calls" in data:
                raise ValueError("an error reply cannot also have content or tool_calls")
            return _read_error(data["error"])
        content = data.get("content")
        if content is not None and not isinstance(content, str):
            raise ValueError("content must be a string or null")
        if "tool_calls" in data:
            return cls.tool_calls(_read_calls(data["tool_calls"]), content=content, **faults)
        if content is None:
            raise ValueError("a reply needs content, tool_calls or error")
        return cls.text(content, **faults)


def default_reply(body: Mapping[str, Any]) -> Reply:
    """The deterministic answer used when nothing is scripted.

    A request offering ``tools`` (a code action) gets ``"Done."`` and so changes nothing;
    any other request (an inline completion) gets ``"pass"``.
    """
    return Reply.text(DEFAULT_TOOLS_TEXT if body.get("tools") else DEFAULT_TEXT)


def _encode_arguments(args: Mapping[str, Any] | str) -> str:
    if isinstance(args, str):
        return args
    if isinstance(args, Mapping):
        return json.dumps(dict(args), ensure_ascii=False)
    raise ValueError("tool call arguments must be an object or a string")


def _read_calls(raw: Any) -> list[tuple[str, Mapping[str, Any] | str]]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("tool_calls must be a non-empty list")
    calls: list[tuple[str, Mapping[str, Any] | str]] = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise ValueError("each tool call needs a string 'name'")
        args = item.get("arguments", {})
        if not isinstance(args, Mapping | str):
            raise ValueError("tool call arguments must be an object or a string")
        calls.append((item["name"], args))
    return calls


def _read_error(raw: Any) -> Reply:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("status"), int):
        raise ValueError("error needs an integer 'status'")
    message = raw.get("message", "Stub error")
    retry_after = raw.get("retry_after")
    if not isinstance(message, str):
        raise ValueError("error message must be a string")
    if retry_after is not None and not (_is_number(retry_after) or isinstance(retry_after, str)):
        raise ValueError("retry_after must be a number or a string")
    return Reply.error(raw["status"], message, retry_after)


def _read_faults(data: Mapping[str, Any]) -> Faults:
    faults: Faults = {}
    for key in ("drop_after_chunks", "malformed_chunk_at"):
        value = data.get(key)
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{key} must be a non-negative integer")
            faults[key] = value
    stall = data.get("stall_seconds")
    if stall is not None:
        if not _is_number(stall) or stall < 0:
            raise ValueError("stall_seconds must be a non-negative number")
        faults["stall_seconds"] = float(stall)
    for key in ("error_event", "finish_reason"):
        value = data.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise ValueError(f"{key} must be a string")
            faults[key] = value  # type: ignore[literal-required]
    return faults


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
