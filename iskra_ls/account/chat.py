"""The narrow chat interface completions and actions are given: settings and one paid call.

A feature does not get the session (settings layers, token binding, polling, status):
it gets a :class:`ChatPort` bound to one quota reservation, so every HTTP attempt it
makes is counted in the ledger and a call refused before the network costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, Required, TypedDict, Unpack

from iskra_ls.account.quota import Reservation
from iskra_ls.api.client import IskraClient
from iskra_ls.api.results import ChatResult
from iskra_ls.api.stream import ChatStream
from iskra_ls.settings import Settings


class ChatCall(TypedDict, total=False):
    """The parameters of one chat request (:meth:`iskra_ls.api.client.IskraClient.chat`)."""

    model: Required[str]
    messages: Required[Sequence[dict[str, Any]]]
    tools: Sequence[dict[str, Any]] | None
    temperature: float | None
    top_p: float | None
    max_tokens: int | None
    timeout: float | None


class ChatPort(Protocol):
    """What a feature needs to ask the model."""

    @property
    def settings(self) -> Settings: ...

    def stream_chat(self, **call: Unpack[ChatCall]) -> ChatStream: ...

    async def chat(self, *, retries: int = 0, **call: Unpack[ChatCall]) -> ChatResult: ...


class PaidChat:
    """A :class:`ChatPort` whose calls spend ``reservation`` (a retry is paid again)."""

    def __init__(self, client: IskraClient, settings: Settings, reservation: Reservation) -> None:
        self._client = client
        self._settings = settings
        self.reservation = reservation

    @property
    def settings(self) -> Settings:
        return self._settings

    def stream_chat(self, **call: Unpack[ChatCall]) -> ChatStream:
        return self._client.stream_chat(**call, meter=self.reservation)

    async def chat(self, *, retries: int = 0, **call: Unpack[ChatCall]) -> ChatResult:
        return await self._client.chat(**call, retries=retries, meter=self.reservation)
