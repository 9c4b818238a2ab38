"""Which token is in force, and the one API root it may go to.

The token comes from ``ISKRA_TOKEN``, else the editor (``initializationOptions`` or
``iskra.setToken``; never a workspace's configuration), else the token file; only a
credential (a JWT) is taken from any of them (:func:`iskra_ls.api.auth.resolve_token`).
It is bound to the API root it was issued for: the root the token file records, else
the one in force when the server started. When ``apiUrl`` points elsewhere the client
refuses to send it (``TokenNotForThisRoot``) and the user is asked once, with the
address named, whether to send it there (this session only).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from iskra_ls import errors
from iskra_ls.account.loop import loop_running
from iskra_ls.api.auth import TokenStore, TokenWatcher, resolve_token
from iskra_ls.api.client import IskraClient
from iskra_ls.api.roots import normalise_root, origin, same_root
from iskra_ls.credential import NOT_A_CREDENTIAL, is_credential

log = logging.getLogger(__name__)

MessageCallback = Callable[[str, str], None]
AskCallback = Callable[[str, list[str]], Awaitable[str | None]]
"""(question, choices) -> the choice the user picked, or None."""


def token_root(source: str, recorded: str | None, start_root: str) -> str:
    """The API root a token may go to: the token file's record, else the start-up root."""
    return (recorded if source == "token file" and recorded else None) or start_root


class TokenBinding:
    """The token in force for one client, and the API root it is tied to."""

    def __init__(
        self,
        store: TokenStore,
        client: Callable[[], IskraClient],
        show: MessageCallback,
        *,
        start_root: str,
        on_confirmed: Callable[[], Awaitable[None]],
        keep: Callable[[asyncio.Future[Any]], None],
    ) -> None:
        self.store = store
        self._client = client
        self._show = show
        self._on_confirmed = on_confirmed
        self._keep = keep
        self.start_root = start_root
        """The API root in force at start: env and editor tokens are tied to it."""
        self.source = "none"
        self.editor_token: str | None = None
        self.ask_user: AskCallback | None = None
        self._root: str | None = None
        self._confirmed: set[tuple[str, str]] = set()
        self._asked: set[tuple[str, str]] = set()
        self._told: set[str] = set()
        self._watcher: TokenWatcher | None = None

    @property
    def root(self) -> str:
        return self._root or self.start_root

    def load(self) -> bool:
        """Resolve the token (env > editor > file) into the client; True when it changed."""
        choice = resolve_token(self.editor_token, self.store)
        for problem in choice.refused:
            if problem not in self._told:  # once per distinct refusal, not on every look
                self._told.add(problem)
                self._show("warning", problem)
        self.source = choice.source
        client = self._client()
        changed = choice.token != client.token
        client.token = choice.token
        self._root = token_root(choice.source, self.store.api_root, self.start_root)
        self.bind()
        return changed

    def set_editor_token(self, token: str | None) -> str | None:
        """``iskra.setToken``: None when taken (or cleared), else why it was refused."""
        token = (token or "").strip() or None
        if token is not None and not is_credential(token):
            return f"That token {NOT_A_CREDENTIAL}"
        self.editor_token = token
        self.load()
        return None

    def bind(self) -> None:
        """The token goes only to the API root it was issued for, or one the user confirmed."""
        client = self._client()
        token, api_url = client.token, client.api_url
        root = self.root
        if not token or same_root(root, api_url) or (
            (token, normalise_root(api_url)) in self._confirmed
        ):
            client.token_root = None
            return
        client.token_root = root
        key = (token, normalise_root(api_url))
        if key in self._asked or not loop_running():
            return
        self._asked.add(key)
        self._keep(asyncio.ensure_future(self._ask_to_confirm(token, root, api_url)))

    async def _ask_to_confirm(self, token: str, root: str, api_url: str) -> None:
        refusal = errors.TokenNotForThisRoot(api_url, root)
        send = f"Send my token to {origin(api_url)}"
        if self.ask_user is None:
            self._show("warning", str(refusal))
            return
        try:
            answer = await self.ask_user(
                f"Iskra: apiUrl is now {api_url}, but your token was issued for {root}. "
                f"Send your token to {api_url}? Only do this if you trust that address.",
                [send, "Keep it private"],
            )
        except Exception:
            log.debug("the editor could not ask about the API root", exc_info=True)
            self._show("warning", str(refusal))
            return
        if answer != send:
            self._show("warning", str(refusal))
            return
        client = self._client()
        if client.token == token and same_root(client.api_url, api_url):
            self.confirm()
            await self._on_confirmed()

    def confirm(self, api_url: str | None = None) -> dict[str, Any]:
        """The user allows the current token to go to the current apiUrl (this session)."""
        client = self._client()
        current = client.api_url
        if api_url and not same_root(api_url, current):
            return {"confirmed": False, "apiUrl": current,
                    "message": f"apiUrl is {current}, not {api_url}; nothing was confirmed."}
        token = client.token
        if not token:
            return {"confirmed": False, "apiUrl": current, "message": "Not signed in."}
        self._confirmed.add((token, normalise_root(current)))
        self.bind()
        log.info("the user allowed the token to go to %s", current)
        return {"confirmed": True, "apiUrl": current}

    async def start_watching(self, on_change: Callable[[], Awaitable[None]]) -> None:
        """Follow ``iskra-ls login`` / ``logout`` in a terminal without a restart."""
        if self._watcher is not None or os.environ.get("ISKRA_TOKEN"):
            return

        async def changed(_token: str | None) -> None:
            if self.load():
                log.info("the stored token changed (%s)", self.source)
                await on_change()

        self._watcher = TokenWatcher(self.store, changed)
        await self._watcher.start()

    async def stop(self) -> None:
        if self._watcher is not None:
            await self._watcher.stop()
            self._watcher = None
