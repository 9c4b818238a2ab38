"""Reading answer bodies within total limits: raw reads, error bodies, the end of a stream.

Every limit counts what the body becomes, not what travels: an error answer's body is
cut after ``limit`` bytes on the wire AND after ``limit`` bytes once inflated (a
gzip-encoded 500 of 32 KB can inflate to 32 MB), and a success answer is counted as it
is decoded, piece by piece.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from iskra_ls import errors

if TYPE_CHECKING:
    import httpx2
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

DRAIN_AFTER_DONE_S = 0.1


async def open_raw(
    sdk: AsyncOpenAI, method: str, path: str, body: Any, options: dict[str, Any]
) -> httpx2.Response:
    """The SDK's request (auth, pool, status errors) with the body left unread for us."""
    import httpx2

    call: Any = sdk.get if method == "GET" else sdk.post
    extra = {} if method == "GET" else {"body": body}
    response: httpx2.Response = await call(
        path, cast_to=httpx2.Response, options=options, stream=True, **extra
    )
    return response


class _Inflater:
    """Inflates a gzip or deflate body, never more than asked for per call."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._inner = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes, most: int) -> bytes:
        if most <= 0:
            return b""
        try:
            out = self._inner.decompress(data, most)
        except zlib.error:
            if self._gzip or self._started:
                raise
            self._inner = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent raw
            out = self._inner.decompress(data, most)
        self._started = True
        return out


def _inflater_for(encodings: list[str]) -> _Inflater | None:
    """One gzip or deflate layer; None when there is nothing to inflate."""
    layers = [e for e in encodings if e and e != "identity"]
    if len(layers) == 1 and layers[0] in ("gzip", "x-gzip", "deflate"):
        return _Inflater(layers[0])
    return None


def error_body_hook(limit: int) -> Callable[[httpx2.Response], Awaitable[None]]:
    """An httpx response hook that ends an error answer's body after ``limit`` bytes.

    The SDK reads a status error's body whole (``aread``) before raising; this runs
    first, so the SDK reads at most ``limit`` bytes and the connection is closed. A
    compressed body is inflated here, to at most ``limit`` bytes too, and handed on as
    plain bytes (an encoding we do not inflate is dropped: its message is lost, never
    the status). Status and headers (``Retry-After``) are intact; a cut JSON body leaves
    the SDK's "Error code: N" as the detail.
    """
    import httpx2

    class CappedStream(httpx2.AsyncByteStream):
        def __init__(self, inner: httpx2.AsyncByteStream, encodings: list[str]) -> None:
            self._inner = inner
            self._encoded = any(e and e != "identity" for e in encodings)
            self._inflater = _inflater_for(encodings)

        async def __aiter__(self) -> AsyncIterator[bytes]:
            wire_left = out_left = limit
            pieces = aiter(self._inner)
            try:
                async for piece in pieces:
                    piece = piece[:wire_left]
                    wire_left -= len(piece)
                    if self._inflater is not None:
                        try:
                            piece = self._inflater.feed(piece, out_left)
                        except zlib.error:
                            return
                    elif self._encoded:
                        piece = b""
                    piece = piece[:out_left]
                    out_left -= len(piece)
                    if piece:
                        yield piece
                    if wire_left <= 0 or out_left <= 0:
                        return
            finally:
                close = getattr(pieces, "aclose", None)
                if close is not None:
                    await close()

        async def aclose(self) -> None:
            await self._inner.aclose()

    async def hook(response: httpx2.Response) -> None:
        if response.status_code >= 400 and isinstance(response.stream, httpx2.AsyncByteStream):
            encodings = [
                value.strip().lower()
                for value in response.headers.get_list("content-encoding", split_commas=True)
            ]
            response.stream = CappedStream(response.stream, encodings)
            if "content-encoding" in response.headers:
                del response.headers["content-encoding"]  # inflated here, not again

    return hook


async def read_capped(response: httpx2.Response, max_bytes: int) -> bytes:
    """The whole body, refusing past ``max_bytes`` (checked as the bytes are decoded)."""
    try:
        declared = int(response.headers.get("content-length") or -1)
    except ValueError:
        declared = -1
    if declared > max_bytes:
        raise errors.AnswerTooLarge("the answer", max_bytes)
    parts: list[bytes] = []
    size = 0
    async for piece in response.aiter_bytes():
        size += len(piece)
        if size > max_bytes:
            raise errors.AnswerTooLarge("the answer", max_bytes)
        parts.append(piece)
    return b"".join(parts)


async def drain_rest(chunks: AsyncIterator[bytes]) -> None:
    """Read the bytes after ``[DONE]`` (the chunked terminator) so the connection is kept.

    A response closed before its end closes its keep-alive connection, and the next
    request pays a new TCP + TLS set-up.
    """
    try:
        async with asyncio.timeout(DRAIN_AFTER_DONE_S):
            async for _ in chunks:
                pass
    except Exception:  # a time-out included: the connection is closed, nothing else lost
        log.debug("no clean end after [DONE]", exc_info=True)
