"""The narrow chat interface completions and actions are given: settings and one paid call.

A feature does not get the session (settings layers, token binding, polling, status):
it gets a :class:`ChatPort` bound to one quota reservation, so every HTTP attempt it
makes is counted in the ledger and a call refused before the network costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from iskra_ls.account.quota import Reservation
from iskra_ls.api.client import IskraClient
from iskra_ls.api.results import ChatResult
from iskra_ls.api.stream import ChatStream
from iskra_ls.settings import Settings


class ChatPort(Protocol):
    """What a feature needs to ask the model."""

    @property
    def settings(self) -> Settings: ...

    def stream_chat(
        self,
        *,
        model: str,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> ChatStream: ...

    async def chat(
        self,
        *,
        model: str,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
        retries: int = 0,
    ) -> ChatResult: ...


class PaidChat:
    """A :class:`ChatPort` whose calls spend ``reservation`` (a retry is paid again)."""

    def __init__(self, client: IskraClient, settings: Settings, reservation: Reservation) -> None:
        self._client = client
        self._settings = settings
        self.reservation = reservation

    @property
    def settings(self) -> Settings:
        return self._settings

    def stream_chat(self, **call: Any) -> ChatStream:
        return self._client.stream_chat(**call, meter=self.reservation)

    async def chat(self, **call: Any) -> ChatResult:
        return await self._client.chat(**call, meter=self.reservation)
