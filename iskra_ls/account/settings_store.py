"""The settings in force, rebuilt from their layers, and the API root of start-up.

Layers (:class:`iskra_ls.settings.SettingsLayers`): defaults and ``ISKRA_API_URL``,
``initializationOptions``, then the latest ``iskra`` section from
``workspace/configuration`` or a pushed change, which may not set the launch-only keys
(the token, ``actions.allowSensitiveWrites``). Every problem is told once, naming the
key; a bad value keeps the value in force.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from iskra_ls.settings import (
    DEFAULT_API_URL,
    SettingProblem,
    Settings,
    SettingsLayers,
    environment_url_problem,
)

MessageCallback = Callable[[str, str], None]


class SettingsStore:
    """Settings layers, the start-up API root, and the messages about both."""

    def __init__(self, show: MessageCallback) -> None:
        self._layers = SettingsLayers()
        self.current: Settings = self._layers.current
        self._show = show
        self.env_url_problem = environment_url_problem()
        """A bad ``ISKRA_API_URL``: the default is used, but the token stays tied to it."""
        self.start_root = (
            os.environ.get("ISKRA_API_URL", "") if self.env_url_problem else self.current.api_url
        )
        """The API root in force at start: env and editor tokens are tied to it."""
        self.section_seen = False
        self._ignored_told: set[str] = set()
        if self.env_url_problem:
            self._show("warning", self.env_url_problem)

    def apply(
        self, update: Mapping[str, Any] | None, *, layer: str = "section"
    ) -> tuple[Settings, list[SettingProblem]]:
        """Rebuild from the layers with ``update``; returns the settings before and the problems.

        ``layer``: ``"initializationOptions"``, or ``"section"`` for the latest full
        ``iskra`` section (``workspace/configuration`` or a pushed change).
        """
        before = self.current
        if layer == "initializationOptions":
            self.current, problems = self._layers.with_initialization_options(update)
            kept = self.env_url_problem and self.current.api_url == DEFAULT_API_URL
            if not self.section_seen and not kept:  # the editor's own launch settings
                self.start_root = self.current.api_url
        else:
            self.section_seen = True
            self.current, problems = self._layers.with_section(update)
        for problem in problems:
            if problem.ignored:
                if problem.key in self._ignored_told:
                    continue
                self._ignored_told.add(problem.key)
            self._show("warning", str(problem))
        transport = self.current.completion.transport
        in_force = self._layers.base.completion.transport
        if transport != before.completion.transport and transport != in_force:
            self._show(
                "info",
                f"Iskra: completion.transport {transport!r} needs a restart of the language "
                "server, with the setting in its initializationOptions (completion features "
                f"are announced at start-up); {in_force!r} stays in force until then.",
            )
        return before, problems
