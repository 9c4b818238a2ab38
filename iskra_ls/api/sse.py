"""Server-Sent Events framing: a byte stream split into lines, linearly (pure)."""

from __future__ import annotations


class SseLines:
    """Split a byte stream into SSE lines (``\\n``, ``\\r\\n`` or ``\\r``), linearly.

    A long line arriving in many pieces is searched only where new bytes came in.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0

    def feed(self, piece: bytes) -> list[str]:
        buffer = self._buffer
        buffer += piece
        lines: list[str] = []
        start = 0
        position = self._scanned
        while True:
            newline = _next_break(buffer, position)
            if newline < 0:
                break
            end = newline
            step = 1
            if buffer[newline] == 0x0D:  # \r, maybe \r\n
                if newline + 1 >= len(buffer):
                    break  # wait: the \n may come in the next piece
                if buffer[newline + 1] == 0x0A:
                    step = 2
            lines.append(buffer[start:end].decode("utf-8", errors="replace"))
            start = position = newline + step
        if start:
            del buffer[:start]
        self._scanned = max(len(buffer) - 1, 0) if buffer and buffer[-1] == 0x0D else len(buffer)
        return lines


def _next_break(buffer: bytearray, position: int) -> int:
    newline = buffer.find(b"\n", position)
    carriage = buffer.find(b"\r", position, newline if newline >= 0 else len(buffer))
    return carriage if carriage >= 0 else newline
