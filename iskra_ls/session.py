"""The server's account session: the account parts composed, behind plain methods.

It owns the one Iskra client of the process and puts together the settings store, the
token binding, the quota (through the machine's ledger), the ``/auth/me`` monitor and the
status. The LSP handlers only translate; features get narrow parts of it (a
:class:`~iskra_ls.account.chat.PaidChat` for their model calls). It talks to the editor
through two callbacks (``publish_status`` and ``show_message``) and never imports pygls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from iskra_ls import errors
from iskra_ls.account.chat import PaidChat
from iskra_ls.account.ledger import ledger_in
from iskra_ls.account.loop import loop_running
from iskra_ls.account.monitor import AccountMonitor
from iskra_ls.account.quota import AccountQuota, Reservation
from iskra_ls.account.settings_store import SettingsStore
from iskra_ls.account.token_binding import AskCallback, TokenBinding
from iskra_ls.api.auth import TokenStore, folder_problem
from iskra_ls.api.client import IskraClient
from iskra_ls.api.models import available_models
from iskra_ls.logs import mask, set_level
from iskra_ls.settings import SettingProblem, Settings
from iskra_ls.status import StatusReporter

log = logging.getLogger(__name__)
_T = TypeVar("_T")

StatusCallback = Callable[[dict[str, Any]], None]
MessageCallback = Callable[[str, str], None]
"""(level, text) with level one of "error", "warning", "info"."""


class Session:
    """Account state shared by completions and actions."""

    def __init__(
        self,
        publish_status: StatusCallback,
        show_message: MessageCallback,
        *,
        token_store: TokenStore | None = None,
    ) -> None:
        self._publish = publish_status
        self._show = show_message
        self._store = SettingsStore(show_message)
        self.token_store = token_store or TokenStore()
        self.client = IskraClient(self.settings.api_url, timeout=self.settings.request_timeout_s)
        problem = folder_problem(self.token_store.directory)
        if problem is not None:
            self._show("warning", f"Iskra: {problem}; today's requests are counted for this "
                       "editor only.")
        self.quota = AccountQuota(ledger_in(None if problem else self.token_store.directory))
        self.reporter = StatusReporter(self.quota, model=self.settings.completion.model,
                                       auto_budget=self.settings.completion.auto_budget)
        self.monitor = AccountMonitor(
            self.quota, lambda: self.client,
            auto_budget=lambda: self.settings.completion.auto_budget,
            publish=self.publish_idle, report=self._report_background,
        )
        self.binding = TokenBinding(
            self.token_store, lambda: self.client, show_message,
            start_root=self._store.start_root,
            on_confirmed=lambda: self.refresh_account(force=True), keep=self._keep,
        )
        self.completions_enabled = True
        self._ledger_told = False
        self._busy = 0
        self._tasks: set[asyncio.Future[Any]] = set()
        self._models_checked: tuple[str, str, str] | None = None
        """(apiUrl, completion model, actions model) last checked against the service."""
        self._served: dict[str, list[str] | None] = {}
        """The service's model list per API root (None: it could not tell)."""
        self.load_token()

    @property
    def settings(self) -> Settings:
        return self._store.current

    @property
    def token_source(self) -> str:
        return self.binding.source

    @property
    def ask_user(self) -> AskCallback | None:
        return self.binding.ask_user

    @ask_user.setter
    def ask_user(self, ask: AskCallback | None) -> None:
        """Asks the user to choose (``window/showMessageRequest``); set by the server."""
        self.binding.ask_user = ask

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
        before, problems = self._store.apply(update, layer=layer)
        settings = self.settings
        self.reporter.model = settings.completion.model
        self.reporter.auto_budget = settings.completion.auto_budget
        if settings.log_level != before.log_level:
            set_level(settings.log_level)
        if settings.completion.mode == "off":
            self.completions_enabled = False
        elif before.completion.mode == "off":
            self.completions_enabled = True
        if settings.api_url != before.api_url or (
            settings.request_timeout_s != before.request_timeout_s
        ):
            old = self.client
            self.client = IskraClient(settings.api_url, old.token,
                                      timeout=settings.request_timeout_s)
            if loop_running():
                self._keep(asyncio.ensure_future(old.aclose()))
        if layer == "initializationOptions" and not self._store.section_seen:
            self.binding.start_root = self._store.start_root
        if settings.token != before.token:
            self.binding.editor_token = settings.token
        if self.load_token() and loop_running():
            self._keep(asyncio.ensure_future(self.refresh_account(force=True)))
        self._check_models_soon()
        return problems

    def _check_models_soon(self) -> None:
        """Check the model settings against the service's list once per change, off the loop."""
        settings = self.settings
        wanted = (settings.api_url, settings.completion.model, settings.actions.model)
        if wanted == self._models_checked or not loop_running():
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

    def keep(self, task: asyncio.Task[_T]) -> asyncio.Task[_T]:
        """Track a background task (e.g. a fetch finishing into the cache) so ``stop`` ends it."""
        self._keep(task)
        return task

    def warm_up(self) -> None:
        """Open a connection before it is needed: a free ``/auth/me`` (also fresh figures)."""
        if loop_running() and self.client.token:
            self._keep(asyncio.ensure_future(self.refresh_account(force=True)))

    # -- token -------------------------------------------------------------------------

    def load_token(self) -> bool:
        """Resolve the token (env > editor > file); True when it changed."""
        changed = self.binding.load()
        self.quota.use(self.client.token, self.client.api_url)
        return changed

    def confirm_api_root(self, api_url: str | None = None) -> dict[str, Any]:
        """The user allows the current token to go to the current apiUrl (this session)."""
        return self.binding.confirm(api_url)

    def set_editor_token(self, token: str | None) -> str | None:
        """``iskra.setToken`` / logout: None when taken, else why the token was refused."""
        refused = self.binding.set_editor_token(token)
        self.quota.use(self.client.token, self.client.api_url)
        return refused

    async def start_watching(self) -> None:
        """Follow ``iskra-ls login`` / ``logout`` in a terminal without a restart."""

        async def changed() -> None:
            self.quota.use(self.client.token, self.client.api_url)
            await self.refresh_account(force=True)

        await self.binding.start_watching(changed)

    async def stop(self, grace_s: float = 2.0) -> None:
        """Cancel and await our background work, then close the client and the ledger.

        In that order: a request cut by closing the client first would be
        reported as a broken answer.
        """
        pending = [t for t in (*self.monitor.tasks(), *self._tasks) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=grace_s)
        await self.binding.stop()
        await self.client.aclose()
        await asyncio.get_running_loop().run_in_executor(None, self.quota.close)

    # -- requests ----------------------------------------------------------------------

    async def reserve(self, kind: str) -> Reservation:
        """One request of the day the user asked for (``invoked``, ``action``).

        Use the reservation as a context manager around the call (see
        :class:`~iskra_ls.account.quota.Reservation`).
        """
        return await self.quota.reserve(kind)

    async def reserve_automatic(self) -> Reservation | None:
        """One automatic request within ``completion.autoBudget`` of the machine's day, or None."""
        return await self.quota.reserve_automatic(self.settings.completion.auto_budget)

    def paid_chat(self, reservation: Reservation) -> PaidChat:
        """The chat interface a feature gets: its calls spend ``reservation``."""
        return PaidChat(self.client, self.settings, reservation)

    # -- account ---------------------------------------------------------------------

    async def refresh_account(self, *, force: bool = False) -> None:
        """Ask ``/auth/me`` (free of quota), read the ledger, publish the status."""
        await self.monitor.refresh(force=force)

    def refresh_soon(self) -> None:
        """Refresh usage in the background after a request (our own count is shown first)."""
        self.publish_idle()
        self.monitor.refresh_soon()

    async def ensure_quota_for_invoked(self, *, explicit: bool = True) -> bool:
        """Before a request the user asked for: re-check when we believe it is spent."""
        if await self.monitor.quota_for_explicit():
            return True
        error = errors.QuotaExhausted(self.monitor.seconds_to_reset())
        self.report_error(error, explicit=explicit)
        return False

    # -- status ------------------------------------------------------------------------

    def busy(self, message: str) -> None:
        self._busy += 1
        self._publish(self.reporter.payload("working", message))

    def idle(self) -> None:
        self._busy = max(self._busy - 1, 0)
        self.publish_idle()

    def idle_state(self) -> tuple[str, str]:
        return self.reporter.idle_state(enabled=self.completions_enabled)

    def publish_idle(self) -> None:
        problem = self.quota.ledger.problem
        if problem is not None and not self._ledger_told:  # told once, when first seen
            self._ledger_told = True
            self._show("warning", f"Iskra: {problem}; today's requests are counted for this "
                       "editor only.")
        if self._busy:
            return
        state, message = self.idle_state()
        if state in ("quotaExhausted", "paused"):
            self.monitor.watch_pause()
        self._publish(self.reporter.payload(state, message))

    def _report_background(self, error: errors.IskraError, explicit: bool) -> None:
        self.report_error(error, explicit=explicit)

    def report_error(self, error: errors.IskraError, *, explicit: bool = False) -> None:
        """Status for every error; a message at most once a minute per kind.

        A failure of something the user asked for (``explicit``: an action, a command)
        is always shown: editors such as eglot ignore command results, so the message
        is the only place the user learns of it. Background errors (a usage look-up
        while an action runs) keep the once-a-minute limit, so one failure is one message.
        A 401 stops automatic requests in every window until the token changes; a 429
        pauses them until its ``Retry-After`` (not a new day: the ledger still counts).
        """
        text = mask(str(error))
        if isinstance(error, errors.TokenRejected):
            self.quota.record_rejected(text)
        elif isinstance(error, errors.NotSignedIn):
            self.quota.signed_in = False
            self.quota.signed_out_reason = text
        if isinstance(error, errors.QuotaExhausted):
            self.quota.record_exhausted(error.retry_after, text)
        if not self._busy:
            self._publish(self.reporter.payload(error.kind, text))
        if explicit or self.reporter.should_show(error):
            level = "warning" if isinstance(error, errors.QuotaExhausted) else "error"
            self._show(level, text)
