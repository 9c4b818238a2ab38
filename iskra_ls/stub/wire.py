"""The OpenAI wire format as the stub Iskra server speaks it: pure functions, no I/O.

Kept apart from the HTTP handlers so that request validation, token estimates and the
exact shape of ``chat.completion`` objects and ``chat.completion.chunk`` sequences can
be read (and checked) in one place.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iskra_ls.settings import KNOWN_MODELS
from iskra_ls.stub.replies import Reply

MODELS = KNOWN_MODELS
"""The model ids Iskra documents (one list for client and stub); any other id is a 400."""

_ERROR_TYPES = {
    400: ("invalid_request_error", "invalid_request"),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", "forbidden"),
    404: ("not_found_error", "not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}


def error_body(
    status: int, message: str, *, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """An OpenAI-style error body: ``{"error": {"message", "type", "code", "param"}}``."""
    err_type, default_code = _ERROR_TYPES.get(status, ("server_error", "server_error"))
    return {
        "error": {
            "message": message,
            "type": err_type,
            "code": code or default_code,
            "param": param,
        }
    }


@dataclass(frozen=True)
class Invalid:
    """Why a chat request is malformed: the message and the offending field."""

    message: str
    param: str | None
    code: str = "invalid_value"


def validate_chat(body: Any) -> Invalid | None:
    """Check a chat request body against the documented ranges; None when it is fine."""
    if not isinstance(body, dict):
        return Invalid("The request body must be a JSON object.", None, "invalid_json")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return Invalid("'model' is required.", "model", "missing_required_parameter")
    if model not in MODELS:
        return Invalid(
            f"The model '{model}' does not exist. Known models: {', '.join(MODELS)}.",
            "model",
            "model_not_found",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return Invalid("'messages' must be a non-empty array.", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            return Invalid(f"'messages[{i}]' must be an object with a 'role'.", "messages")
    for name, low, high in (("temperature", 0.0, 2.0), ("top_p", 0.0, 1.0)):
        value = body.get(name)
        if value is not None and (not _is_number(value) or not low <= value <= high):
            return Invalid(f"'{name}' must be a number from {low} to {high}.", name)
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (
        not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens <= 0
    ):
        return Invalid("'max_tokens' must be a positive integer.", "max_tokens")
    if "stream" in body and not isinstance(body["stream"], bool | None):
        return Invalid("'stream' must be a boolean.", "stream")
    if body.get("tools") is not None and not isinstance(body["tools"], list):
        return Invalid("'tools' must be an array.", "tools")
    return None


def estimate_tokens(chars: int) -> int:
    """Roughly four characters per token, at least one token for anything non-empty."""
    return math.ceil(chars / 4)


def prompt_chars(messages: list[Any]) -> int:
    """Characters of text in the request's messages (content parts and tool call arguments)."""
    total = 0
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        content = message.get("content")
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(len(part.get("text", "")) for part in content if isinstance(part, Mapping))
        for call in message.get("tool_calls") or []:
            if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
                total += len(str(call["function"].get("arguments", "")))
    return total


def usage_for(body: Mapping[str, Any], reply: Reply) -> dict[str, int]:
    """The ``usage`` object for answering ``body`` with ``reply``."""
    prompt = estimate_tokens(prompt_chars(body.get("messages") or []))
    calls = sum(len(str(c.name)) + len(c.arguments) for c in reply.calls)  # names may be odd
    answer = len(reply.content or "") + calls
    completion = estimate_tokens(answer)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def new_completion_id() -> str:
    """A fresh ``chatcmpl-...`` id."""
    return "chatcmpl-" + secrets.token_hex(12)


def call_ids(reply: Reply) -> list[str]:
    """Ids for the reply's tool calls: scripted ones kept, the others made fresh."""
    return [call.id or "call_" + secrets.token_hex(12) for call in reply.calls]


def completion_object(
    reply: Reply, model: str, usage: dict[str, int], ids: list[str]
) -> dict[str, Any]:
    """A whole (non-streamed) ``chat.completion`` for ``reply``."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.calls:
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call, call_id in zip(reply.calls, ids, strict=True)
        ]
    elif message["content"] is None:
        message["content"] = ""
    return {
        "id": new_completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": reply.effective_finish_reason,
            }
        ],
        "usage": usage,
    }


@dataclass(frozen=True)
class ChunkPlan:
    """Every chunk of one streamed answer, in order, before any fault is applied."""

    role: dict[str, Any]
    payload: list[dict[str, Any]]
    """Content and tool-call fragments: the chunks that faults count."""
    finish: dict[str, Any]
    usage: dict[str, Any] | None
    """A separate usage chunk (empty ``choices``) when ``stream_options.include_usage``."""


def plan_stream(
    reply: Reply,
    model: str,
    usage: dict[str, int],
    ids: list[str],
    *,
    chunk_chars: int,
    include_usage: bool,
) -> ChunkPlan:
    """Split ``reply`` into ``chat.completion.chunk`` objects.

    Content goes out ``chunk_chars`` characters at a time. Each tool call goes out as a
    first fragment (index, id, type, name, empty arguments) and then its arguments in
    small pieces carrying only ``index`` and ``function.arguments``. Without
    ``include_usage`` the finishing chunk carries ``usage`` itself.
    """
    completion_id = new_completion_id()
    created = int(time.time())
    size = max(1, chunk_chars)

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    payload = [chunk({"content": piece}) for piece in _pieces(reply.content or "", size)]
    for index, (call, call_id) in enumerate(zip(reply.calls, ids, strict=True)):
        head = {"index": index, "id": call_id, "type": "function"}
        payload.append(
            chunk({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
        )
        piece_size = min(size, max(1, math.ceil(len(call.arguments) / 2)))
        for piece in _pieces(call.arguments, piece_size):
            payload.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            )
    finish = chunk({}, reply.effective_finish_reason)
    usage_chunk = None
    if include_usage:
        finish["usage"] = None
        usage_chunk = {**chunk({}), "choices": [], "usage": usage}
    else:
        finish["usage"] = usage
    return ChunkPlan(chunk({"role": "assistant", "content": ""}), payload, finish, usage_chunk)


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
