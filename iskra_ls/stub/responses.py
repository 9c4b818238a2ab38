"""HTTP plumbing of the stub Iskra server: bearer tokens, error bodies, SSE lines, sockets.

Separate from ``server.py`` so the handlers there read as the API's behaviour only.
"""

from __future__ import annotations

import json
import math
import os
import socket
from typing import Any

from aiohttp import web

from iskra_ls.stub.replies import Reply
from iskra_ls.stub.wire import error_body

NOT_JSON = object()
"""What :func:`read_json` returns for a body that is not JSON."""


def bearer_token(request: web.Request) -> str | None:
    """The request's bearer token, or None when missing or empty."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def unauthorized(missing: bool) -> web.Response:
    """401 with an OpenAI-style body; never echoes the token."""
    message = (
        "Missing bearer token: sign in with `iskra-ls login`."
        if missing
        else "The token is invalid or expired: sign in again."
    )
    return json_error(401, message, headers={"WWW-Authenticate": "Bearer"})


async def read_json(request: web.Request) -> Any:
    """The parsed JSON body, or :data:`NOT_JSON`."""
    try:
        return await request.json()
    except ValueError:
        return NOT_JSON


def json_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> web.Response:
    body = {**(extra or {}), **error_body(status, message, code=code, param=param)}
    return web.json_response(body, status=status, headers=headers)


def error_reply(reply: Reply) -> web.Response:
    headers = {}
    if isinstance(reply.retry_after, str):
        headers["Retry-After"] = reply.retry_after
    elif reply.retry_after is not None:
        headers["Retry-After"] = str(max(0, math.ceil(reply.retry_after)))
        headers["retry-after-ms"] = str(max(0, round(reply.retry_after * 1000)))
    return json_error(reply.status or 500, reply.message or "Stub error", headers=headers)


async def send_event(resp: web.StreamResponse, payload: dict[str, Any]) -> None:
    await resp.write(b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if os.name == "posix":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.setblocking(False)
    return sock
