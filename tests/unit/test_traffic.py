"""Requests keep to one keep-alive connection: who waits for whom (api/traffic.py)."""

from __future__ import annotations

import asyncio

import pytest

from iskra_ls.api import traffic
from iskra_ls.api.traffic import Kind, Traffic


async def test_a_model_request_waits_for_an_open_look_up() -> None:
    lanes = Traffic()
    order: list[str] = []
    lookup = await lanes.enter(Kind.LOOKUP)

    async def model() -> None:
        async with lanes.request(Kind.MODEL):
            order.append("model")

    task = asyncio.ensure_future(model())
    await asyncio.sleep(0)
    order.append("look-up done")
    lookup.release()
    await task
    assert order == ["look-up done", "model"]


async def test_a_background_look_up_waits_for_a_streaming_answer_but_a_foreground_one_not(
) -> None:
    lanes = Traffic()
    stream = await lanes.enter(Kind.MODEL)
    async with lanes.request(Kind.LOOKUP):  # foreground: someone waits for it
        pass
    background = asyncio.ensure_future(lanes.enter(Kind.LOOKUP, background=True))
    await asyncio.sleep(0)
    assert not background.done()
    stream.release()
    (await background).release()
    assert lanes.open_count(Kind.LOOKUP) == lanes.open_count(Kind.MODEL) == 0


async def test_two_model_requests_never_wait_for_each_other() -> None:
    lanes = Traffic()
    first = await lanes.enter(Kind.MODEL)
    second = await asyncio.wait_for(lanes.enter(Kind.MODEL), 1.0)
    assert lanes.open_count(Kind.MODEL) == 2
    first.release()
    first.release()  # idempotent
    second.release()
    assert lanes.open_count(Kind.MODEL) == 0


async def test_a_wait_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traffic, "LOOKUP_WAIT_S", 0.01)
    lanes = Traffic()
    await lanes.enter(Kind.LOOKUP)  # never released: a stuck look-up
    ticket = await asyncio.wait_for(lanes.enter(Kind.MODEL), 1.0)
    ticket.release()
