"""What a chat call gives back, and what it tells the quota about each attempt (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str
    """The raw JSON string the model produced (may be invalid)."""


@dataclass
class ChatResult:
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    elapsed: float = 0.0


class RequestMeter(Protocol):
    """Hears of every HTTP attempt of one paid request (a quota reservation implements it).

    ``sending`` comes just before an attempt (a retried request is paid again);
    ``not_sent`` after an attempt that never reached the service (no connection), so the
    request it was counted as is given back.
    """

    def sending(self) -> None: ...

    def not_sent(self) -> None: ...
