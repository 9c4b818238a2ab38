"""The server's account session: settings, token, client, quota and status.

Everything the LSP handlers share lives here, behind plain methods, so the
server-wiring module only translates. It talks to the editor through two
callbacks (``publish_status`` and ``show_message``) and never imports pygls.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from iskra_ls import errors
from iskra_ls.api.auth import TokenStore, TokenWatcher, resolve_token
from iskra_ls.api.client import IskraClient
from iskra_ls.api.models import available_models
from iskra_ls.api.roots import normalise_root, origin, same_root
from iskra_ls.logs import mask, register_secret, set_level
from iskra_ls.settings import (
    DEFAULT_API_URL,
    SettingProblem,
    Settings,
    SettingsLayers,
    environment_url_problem,
)
from iskra_ls.status import QuotaTracker, StatusReporter

log = logging.getLogger(__name__)
_T = TypeVar("_T")

StatusCallback = Callable[[dict[str, Any]], None]
MessageCallback = Callable[[str, str], None]
"""(level, text) with level one of "error", "warning", "info"."""
AskCallback = Callable[[str, list[str]], Awaitable[str | None]]
"""(question, choices) -> the choice the user picked, or None."""


class Session:
    """Account state shared by completions and actions."""

    def __init__(
        self,
        publish_status: StatusCallback,
        show_message: MessageCallback,
        *,
        token_store: TokenStore | None = None,
    ) -> None:
        self._layers = SettingsLayers()
        self.settings: Settings = self._layers.current
        self.token_store = token_store or TokenStore()
        self.client = IskraClient(self.settings.api_url, timeout=self.settings.request_timeout_s)
        self.client.on_request = self._request_sent
        self.quota = QuotaTracker()
        self.reporter = StatusReporter(self.quota, model=self.settings.completion.model)
        self.completions_enabled = True
        self.token_source = "none"
        self._publish = publish_status
        self._show = show_message
        self._watcher: TokenWatcher | None = None
        self._busy = 0
        self._last_me = 0.0
        self._me_task: asyncio.Task[None] | None = None
        self._me_dirty = False
        self.refresh_delay_s = 0.25
        self._me_sent = 0
        self._me_applied = 0
        self._editor_token: str | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self.quota_poll_s = _env_seconds("ISKRA_QUOTA_POLL_S", QUOTA_POLL_S)
        """While automatic completions are paused, ask ``/auth/me`` this often."""
        self._poll_task: asyncio.Task[None] | None = None
        self.ask_user: AskCallback | None = None
        """Asks the user to choose (``window/showMessageRequest``); set by the server."""
        self._env_url_problem = environment_url_problem()
        """A bad ``ISKRA_API_URL``: the default is used, but the token stays tied to it."""
        self._start_root = (
            os.environ.get("ISKRA_API_URL", "") if self._env_url_problem else self.settings.api_url
        )
        """The API root in force at start: env and editor tokens are tied to it."""
        if self._env_url_problem:
            self._show("warning", self._env_url_problem)
        self._token_root: str | None = None
        self._confirmed: set[tuple[str, str]] = set()
        self._asked: set[tuple[str, str]] = set()
        self._section_seen = False
        self._models_checked: tuple[str, str, str] | None = None
        """(apiUrl, completion model, actions model) last checked against the service."""
        self._served: dict[str, list[str] | None] = {}
        """The service's model list per API root (None: it could not tell)."""
        self.load_token()

    def _request_sent(self) -> None:
        """Every HTTP attempt costs a request (a retried round is paid twice)."""
        self.quota.request_sent()

    def show_message(self, level: str, text: str) -> None:
        """Tell the user something (``level``: error, warning or info)."""
        self._show(level, text)

    # -- settings ------------------------------------------------------------------

    def apply_settings(
        self, update: Mapping[str, Any] | None, *, layer: str = "section"
    ) -> list[SettingProblem]:
        """Rebuild the settings from the layers; report bad keys; update what depends on them.

        ``layer``: ``"initializationOptions"``, or ``"section"`` for the latest full
        ``iskra`` section (``workspace/configuration`` or a pushed change).
        """
        before = self.settings
        if layer == "initializationOptions":
            self.settings, problems = self._layers.with_initialization_options(update)
            kept = self._env_url_problem and self.settings.api_url == DEFAULT_API_URL
            if not self._section_seen and not kept:  # the editor's own launch settings
                self._start_root = self.settings.api_url
        else:
            self._section_seen = True
            self.settings, problems = self._layers.with_section(update)
        for problem in problems:
            self._show("warning", str(problem))
        transport = self.settings.completion.transport
        in_force = self._layers.base.completion.transport
        if transport != before.completion.transport and transport != in_force:
            self._show(
                "info",
                f"Iskra: completion.transport {transport!r} needs a restart of the language "
                "server, with the setting in its initializationOptions (completion features "
                f"are announced at start-up); {in_force!r} stays in force until then.",
            )
        self.reporter.model = self.settings.completion.model
        if self.settings.log_level != before.log_level:
            set_level(self.settings.log_level)
        if self.settings.completion.mode == "off":
            self.completions_enabled = False
        elif before.completion.mode == "off":
            self.completions_enabled = True
        if self.settings.api_url != before.api_url or (
            self.settings.request_timeout_s != before.request_timeout_s
        ):
            old = self.client
            self.client = IskraClient(
                self.settings.api_url, self.client.token, timeout=self.settings.request_timeout_s
            )
            self.client.on_request = self._request_sent
            if _loop_running():
                self._keep(asyncio.ensure_future(old.aclose()))
        if layer == "initializationOptions" and not self._section_seen:
            self.load_token()
        self._bind_token()
        if self.settings.token != before.token:
            self._editor_token = self.settings.token
            if self.load_token() and _loop_running():
                self._keep(asyncio.ensure_future(self.refresh_account(force=True)))
        self._check_models_soon()
        return problems

    def _check_models_soon(self) -> None:
        """Check the model settings against the service's list once per change, off the loop."""
        settings = self.settings
        wanted = (settings.api_url, settings.completion.model, settings.actions.model)
        if wanted == self._models_checked or not _loop_running():
            return
        self._models_checked = wanted
        self._keep(asyncio.ensure_future(self.check_models_with_service()))

    async def check_models_with_service(self) -> list[SettingProblem]:
        """Warn about model ids the service does not serve, naming the ones it does.

        Skipped (no message) when the service cannot tell: offline, no endpoint.
        """
        root = self.settings.api_url
        if root not in self._served:
            self._served[root] = await available_models(self.client)
        served = self._served[root]
        if not served or root != self.settings.api_url:
            return []
        problems = self.settings.unserved_models(served)
        for problem in problems:
            self._show("warning", str(problem))
        return problems

    def toggle_completions(self, wanted: bool | None) -> dict[str, Any]:
        """Switch completions for this session; the answer says what is really in force."""
        if self.settings.completion.mode == "off":
            self.completions_enabled = False
            self.publish_idle()
            return {
                "enabled": False,
                "message": "Completions are off in the settings (completion.mode is \"off\"); "
                "set it to \"auto\" or \"manual\" to turn them on.",
            }
        self.completions_enabled = wanted if wanted is not None else not self.completions_enabled
        self.publish_idle()
        return {"enabled": self.completions_enabled}

    def _keep(self, task: asyncio.Future[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def warm_up(self) -> None:
        """Open a connection before it is needed: a free ``/auth/me`` (also fresh figures)."""
        if _loop_running() and self.client.token:
            self._keep(asyncio.ensure_future(self.refresh_account(force=True)))

    def keep(self, task: asyncio.Task[_T]) -> asyncio.Task[_T]:
        """Track a background task (e.g. a fetch finishing into the cache) so ``stop`` ends it."""
        self._keep(task)
        return task

    # -- token -------------------------------------------------------------------------

    def load_token(self) -> bool:
        """Resolve the token (env > editor > file); True when it changed."""
        token, source = resolve_token(self._editor_token, self.token_store)
        self.token_source = source
        if token:
            register_secret(token)
        changed = token != self.client.token
        self.client.token = token
        recorded = self.token_store.api_root if source == "token file" else None
        self._token_root = recorded or self._start_root
        self._bind_token()
        if changed:
            self.quota = _fresh_quota(self.quota, signed_in=bool(token))
            self.reporter.quota = self.quota
        return changed

    def _bind_token(self) -> None:
        """The token goes only to the API root it was issued for, or one the user confirmed.

        Otherwise the client refuses to send it (``TokenNotForThisRoot``) and the user
        is asked once, with the address named (``window/showMessageRequest``).
        """
        token, api_url = self.client.token, self.client.api_url
        root = self._token_root or self._start_root
        if not token or same_root(root, api_url) or (
            (token, normalise_root(api_url)) in self._confirmed
        ):
            self.client.token_root = None
            return
        self.client.token_root = root
        key = (token, normalise_root(api_url))
        if key in self._asked or not _loop_running():
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
        if self.client.token == token and same_root(self.client.api_url, api_url):
            self.confirm_api_root()
            await self.refresh_account(force=True)

    def confirm_api_root(self, api_url: str | None = None) -> dict[str, Any]:
        """The user allows the current token to go to the current apiUrl (this session)."""
        current = self.client.api_url
        if api_url and not same_root(api_url, current):
            return {"confirmed": False, "apiUrl": current,
                    "message": f"apiUrl is {current}, not {api_url}; nothing was confirmed."}
        token = self.client.token
        if not token:
            return {"confirmed": False, "apiUrl": current, "message": "Not signed in."}
        self._confirmed.add((token, normalise_root(current)))
        self._bind_token()
        log.info("the user allowed the token to go to %s", current)
        return {"confirmed": True, "apiUrl": current}

    def set_editor_token(self, token: str | None) -> None:
        self._editor_token = token or None
        self.load_token()

    async def start_watching(self) -> None:
        """Follow ``iskra-ls login`` / ``logout`` in a terminal without a restart."""
        if self._watcher is not None or os.environ.get("ISKRA_TOKEN"):
            return
        self._watcher = TokenWatcher(self.token_store, self._on_token_file)
        await self._watcher.start()

    async def _on_token_file(self, _token: str | None) -> None:
        if self.load_token():
            log.info("the stored token changed (%s)", self.token_source)
            await self.refresh_account(force=True)

    async def stop(self, grace_s: float = 2.0) -> None:
        """Cancel and await our background work, then close the client.

        In that order: a request cut by closing the client first would be
        reported as a broken answer.
        """
        pending = [
            t for t in (self._me_task, self._poll_task, *self._tasks)
            if t is not None and not t.done()
        ]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=grace_s)
        if self._watcher is not None:
            await self._watcher.stop()
            self._watcher = None
        await self.client.aclose()

    # -- account ---------------------------------------------------------------------

    async def refresh_account(self, *, force: bool = False) -> None:
        """Ask ``/auth/me`` (free of quota) and publish the status."""
        if not self.client.token:
            self.quota.signed_in = False
            self.publish_idle()
            return
        if not force and time.monotonic() - self._last_me < 5.0:
            self.publish_idle()
            return
        self._last_me = time.monotonic()
        self._me_sent += 1
        sequence = self._me_sent
        quota = self.quota
        try:
            account = await self.client.me()
        except errors.IskraError as error:
            self.report_error(error)
            return
        if sequence < self._me_applied or quota is not self.quota:
            return  # a newer answer (or another account) is already in force
        self._me_applied = sequence
        self.quota.update_account(
            email=account.email,
            tier=account.tier,
            limit=account.limit,
            requests_today=account.requests_today,
            remaining=account.remaining,
        )
        self.publish_idle()

    def refresh_soon(self) -> None:
        """Refresh usage in the background after a request.

        One look-up runs at a time; a request made while one is under way asks
        for another afterwards, so an answer that predates the request never
        has the last word.
        """
        self._me_dirty = True
        self.publish_idle()  # our own count first; /auth/me corrects it shortly
        if self._me_task is None or self._me_task.done():
            self._me_task = asyncio.ensure_future(self._refresh_while_dirty())

    async def _refresh_while_dirty(self) -> None:
        # A short quiet period folds a burst of requests into one look-up, off the
        # completion's critical path.
        await asyncio.sleep(self.refresh_delay_s)
        while self._me_dirty:
            self._me_dirty = False
            await self.refresh_account(force=True)

    async def ensure_quota_for_invoked(self, *, explicit: bool = True) -> bool:
        """Before a request the user asked for: re-check when we believe it is spent."""
        if self.quota.remaining == 0 or self.quota.is_paused():
            await self.refresh_account(force=True)
        if self.quota.remaining == 0:
            self.report_error(errors.QuotaExhausted(_seconds_left(self.quota)), explicit=explicit)
            return False
        return True

    def _poll_while_paused(self) -> None:
        """Automatic completions are paused (429 or budget spent): watch for the reset.

        ``/auth/me`` is free; without it a pause after a 429 with no ``Retry-After``
        (or a spent budget) would last until the editor restarts.
        """
        if not _loop_running() or not self.client.token:
            return
        if self._poll_task is None or self._poll_task.done():
            self._poll_task = asyncio.ensure_future(self._poll_loop())

    async def _poll_loop(self) -> None:
        while self._paused():
            await asyncio.sleep(self.quota_poll_s)
            if not self._paused():
                break
            try:
                await self.refresh_account(force=True)
            except Exception:
                log.debug("usage look-up while paused failed", exc_info=True)

    def _paused(self) -> bool:
        budget = self.settings.completion.auto_budget
        return bool(self.client.token) and self.quota.signed_in and (
            self.quota.is_paused() or not self.quota.auto_allowed(budget)
        )

    # -- status ------------------------------------------------------------------------

    def busy(self, message: str) -> None:
        self._busy += 1
        self._publish(self.reporter.payload("working", message))

    def idle(self) -> None:
        self._busy = max(self._busy - 1, 0)
        self.publish_idle()

    def idle_state(self) -> tuple[str, str]:
        return self.reporter.idle_state(
            enabled=self.completions_enabled, auto_budget=self.settings.completion.auto_budget
        )

    def publish_idle(self) -> None:
        if self._busy:
            return
        state, message = self.idle_state()
        if state in ("quotaExhausted", "paused"):
            self._poll_while_paused()
        self._publish(self.reporter.payload(state, message))

    def report_error(self, error: errors.IskraError, *, explicit: bool = False) -> None:
        """Status for every error; a message at most once a minute per kind.

        A failure of something the user asked for (``explicit``: an action, a command)
        is always shown: editors such as eglot ignore command results, so the message
        is the only place the user learns of it. Background errors (a usage look-up
        while an action runs) keep the once-a-minute limit, so one failure is one message.
        """
        text = mask(str(error))
        if isinstance(error, errors.TokenRejected | errors.NotSignedIn):
            self.quota.signed_in = False
            self.quota.signed_out_reason = text
        if isinstance(error, errors.QuotaExhausted):
            self.quota.pause(error.retry_after)
            text = mask(str(self.quota.exhausted_message or text))
        if not self._busy:
            self._publish(self.reporter.payload(error.kind, text))
        if explicit or self.reporter.should_show(error):
            level = "warning" if isinstance(error, errors.QuotaExhausted) else "error"
            self._show(level, text)


QUOTA_POLL_S = 180.0
"""How often ``/auth/me`` is asked while automatic completions are paused (seconds)."""


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if 0 < value < float("inf") else default


def _fresh_quota(old: QuotaTracker, *, signed_in: bool) -> QuotaTracker:
    quota = QuotaTracker(clock=old.clock)
    quota.signed_in = signed_in
    return quota


def _seconds_left(quota: QuotaTracker) -> float | None:
    if quota.paused_until is None or quota.paused_until == float("inf"):
        return None
    return max(quota.paused_until - quota.clock(), 0.0)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
