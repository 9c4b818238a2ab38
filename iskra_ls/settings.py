"""Every setting of the ``iskra`` section, as one typed pydantic model.

Sources, later ones winning: defaults, the environment (``ISKRA_API_URL``),
``initializationOptions`` (``{"iskra": {...}}``), and the latest full section
from ``workspace/configuration`` or ``workspace/didChangeConfiguration``
(:class:`SettingsLayers` rebuilds from these on every change, so a key removed
from the configuration returns to its default). Keys may come nested
(``{"completion": {"mode": "off"}}``, as VS Code sends them) or dotted
(``{"completion.mode": "off"}``). ``None`` values mean "not set" (editors send
nulls for unset keys): the layer below decides.

:func:`merge_settings` validates key by key: a bad value is reported by its
dotted key and the previous value stays, so one typo never resets the rest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

DEFAULT_API_URL = "https://cli.cryptocatslab.ru"

KNOWN_MODELS: tuple[str, ...] = (
    "qwen3-coder-flash",
    "qwen3-coder-plus",
    "claude-haiku-4-5",
    "claude-sonnet-4-5",
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-20250514",
    "claude-3-7-sonnet-20250219",
)


class _Section(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", validate_assignment=True
    )


class CompletionSettings(_Section):
    mode: Literal["auto", "manual", "off"] = "auto"
    """``auto``: on typing and on request; ``manual``: only when asked; ``off``."""
    model: str = "qwen3-coder-flash"
    debounce_ms: int = Field(default=300, ge=0, le=5000)
    """Base wait after the last keystroke; adapted to the typing rhythm."""
    adaptive_debounce: bool = True
    auto_budget: float = Field(default=0.5, ge=0.0, le=1.0)
    """Share of the day's remaining requests that automatic completions may spend."""
    transport: Literal["auto", "inline", "completionItem", "both"] = "auto"
    """``auto``: inline completion when the client has it, else completion items."""
    budget_chars: int = Field(default=6000, ge=200, le=100_000)
    """Prompt size budget around the cursor, in characters."""
    skip_heuristics: bool = True
    """Skip requests where a suggestion cannot help (cursor inside a word...)."""
    max_tokens: int | None = Field(default=None, gt=0)


class CustomAction(_Section):
    title: str = Field(min_length=1)
    instruction: str = Field(min_length=1)
    kinds: list[str] = Field(default_factory=lambda: ["refactor"])


class ActionSettings(_Section):
    model: str = "qwen3-coder-plus"
    max_steps: int = Field(default=8, ge=1, le=50)
    custom: list[CustomAction] = Field(default_factory=list)
    secret_globs: list[str] = Field(default_factory=list)
    """Extra globs of files the model may neither read nor list."""
    timeout_s: float = Field(default=120.0, gt=0)
    allow_sensitive_writes: bool = False
    """Let actions change files that make tools run code without the user's confirmation."""
    apply_timeout_s: float = Field(default=300.0, gt=0, le=3600)
    """How long to wait for the editor's answer to ``workspace/applyEdit``."""


class Settings(_Section):
    api_url: str = Field(
        default_factory=lambda: os.environ.get("ISKRA_API_URL") or DEFAULT_API_URL,
        validate_default=True,
    )
    token: str | None = Field(default=None, repr=False)
    """A JWT handed over by an editor that cannot set ``ISKRA_TOKEN``."""
    allow_unknown_models: bool = False
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, gt=0)
    request_timeout_s: float = Field(default=30.0, gt=0)
    log_level: Literal["error", "warning", "info", "debug"] = "info"
    completion: CompletionSettings = Field(default_factory=CompletionSettings)
    actions: ActionSettings = Field(default_factory=ActionSettings)

    @field_validator("api_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        """https://, or http:// only to this machine (the token must not travel in clear)."""
        from iskra_ls.api.roots import url_problem

        value = value.strip().rstrip("/")
        problem = url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    def check_models(self) -> list[str]:
        """Dotted keys whose model id is unknown (unless unknown models are allowed)."""
        if self.allow_unknown_models:
            return []
        bad = []
        if self.completion.model not in KNOWN_MODELS:
            bad.append("completion.model")
        if self.actions.model not in KNOWN_MODELS:
            bad.append("actions.model")
        return bad


class SettingProblem(BaseModel):
    key: str
    message: str

    def __str__(self) -> str:
        return (
            f"Iskra setting `{self.key}` is invalid ({self.message}); "
            "keeping the previous value."
        )


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested or dotted keys -> ``{"completion.mode": ..., ...}``; lists stay whole."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and dotted.split(".")[0] in ("completion", "actions"):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _normalise_key(dotted: str) -> tuple[str, ...]:
    return tuple(to_camel(part) if "_" in part else part for part in dotted.split("."))


def merge_settings(
    current: Settings, update: Mapping[str, Any] | None, *, fallback: Settings | None = None
) -> tuple[Settings, list[SettingProblem]]:
    """Apply ``update`` (the ``iskra`` section) over ``current``, key by key.

    Returns the new settings and the problems; an invalid key keeps its
    ``fallback`` value (the value in force; default: ``current``'s), unknown
    keys are ignored.
    """
    if not update:
        return current, []
    data = current.model_dump(by_alias=True)
    kept = fallback.model_dump(by_alias=True) if fallback is not None else None
    problems: list[SettingProblem] = []
    for dotted, value in flatten(update).items():
        if value is None:
            continue
        path = _normalise_key(dotted)
        if not _known(path):
            continue
        problem = _check_key(data, path, value)
        if problem is not None:
            problems.append(problem)
            if kept is not None and _check_key(data, path, _get_path(kept, path)) is None:
                data = _set_path(_deep_copy(data), path, _get_path(kept, path))
            continue
        data = _set_path(_deep_copy(data), path, value)
    return Settings.model_validate(data), problems


def _check_key(data: dict[str, Any], path: tuple[str, ...], value: Any) -> SettingProblem | None:
    """Why ``value`` cannot go at ``path`` in ``data`` (None when it can)."""
    candidate = _set_path(_deep_copy(data), path, value)
    try:
        checked = Settings.model_validate(candidate)
    except ValidationError as error:
        return SettingProblem(key=".".join(path), message=_first_error(error))
    if ".".join(path) in checked.check_models():
        return SettingProblem(
            key=".".join(path),
            message=f"unknown model {value!r}; known: {', '.join(KNOWN_MODELS)}",
        )
    return None


class SettingsLayers:
    """The settings in force: defaults < ``initializationOptions`` < the latest section.

    Each change rebuilds from the layers, so a key removed from the
    configuration (or set to null) falls back to the layer below instead of
    keeping the last value it ever had. A bad key keeps the value in force.
    """

    def __init__(self) -> None:
        self.base = Settings()
        """Defaults + ``initializationOptions``: what the server started with."""
        self.section: dict[str, Any] = {}
        self.current = self.base

    def with_initialization_options(
        self, options: Mapping[str, Any] | None
    ) -> tuple[Settings, list[SettingProblem]]:
        self.base, problems = merge_settings(Settings(), options)
        self.current, more = merge_settings(self.base, self.section, fallback=self.current)
        return self.current, problems + more

    def with_section(
        self, section: Mapping[str, Any] | None
    ) -> tuple[Settings, list[SettingProblem]]:
        """The latest full ``iskra`` section (``workspace/configuration`` or a push)."""
        self.section = dict(section or {})
        self.current, problems = merge_settings(self.base, self.section, fallback=self.current)
        return self.current, problems


def _known(path: tuple[str, ...]) -> bool:
    model: type[BaseModel] = Settings
    for depth, part in enumerate(path):
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        field = fields.get(part)
        if field is None:
            return False
        annotation = field.annotation
        if depth < len(path) - 1:
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return False
            model = annotation
    return True


def _set_path(data: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    return data


def _get_path(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _deep_copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in data.items()}


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    return str(first.get("msg", "invalid value"))
