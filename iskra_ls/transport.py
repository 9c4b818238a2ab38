"""``--tcp``: the language server on a socket, for this machine and one client only.

stdio is the safe default: only the editor that started the server can talk to
it. A socket can be reached by any local process, and whoever talks to the
server can point ``apiUrl`` elsewhere and read results, so ``--tcp``:

- listens only on a loopback address (``127.0.0.1``, ``::1``, ``localhost``);
  any other host is refused before anything is bound;
- serves exactly one client: the first connection owns the session; later
  ones are closed at once (logged) and never take over; when the client goes
  away, the server ends.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from pygls.io_ import run_async

from iskra_ls import errors
from iskra_ls.api.roots import is_loopback_host

log = logging.getLogger(__name__)


def check_tcp_host(host: str) -> None:
    """Refuse a host that is not this machine (raises a user-worded error)."""
    if not is_loopback_host(host):
        raise errors.IskraError(
            f"--tcp listens only on this machine (127.0.0.1, ::1 or localhost), not {host!r}: "
            "anyone who can connect controls the session. Use stdio (the default) where "
            "the editor can start the server itself."
        )


def serve_tcp(server: Any, host: str, port: int) -> None:
    """Serve one client on ``host:port`` (loopback only) until it disconnects or exits."""
    check_tcp_host(host)
    try:
        asyncio.run(_serve(server, host, port))
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()


async def _serve(server: Any, host: str, port: int) -> None:
    stop_event = threading.Event()
    server._stop_event = stop_event
    finished = asyncio.Event()
    owner: list[Any] = []

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if owner:
            log.warning("refused a connection from %s: this server already has its client", peer)
            writer.close()
            return
        owner.append(peer)
        log.info("client connected from %s", peer)
        server.protocol.set_writer(writer)
        try:
            await run_async(
                stop_event=stop_event,
                reader=reader,
                protocol=server.protocol,
                logger=log,
                error_handler=server.report_server_error,
            )
        finally:
            finished.set()

    listener = await asyncio.start_server(connection, host, port)
    addresses = ", ".join(str(sock.getsockname()) for sock in listener.sockets)
    log.info("serving one client on %s (stdio is the safe default)", addresses)
    async with listener:
        await finished.wait()
