"""Every setting of the ``iskra`` section, as one typed pydantic model.

Sources, later ones winning: defaults, the environment (``ISKRA_API_URL``),
``initializationOptions`` (``{"iskra": {...}}``), and the latest full section
from ``workspace/configuration`` or ``workspace/didChangeConfiguration``
(:class:`SettingsLayers` rebuilds from these on every change, so a key removed
from the configuration returns to its default).

Two keys are read from ``initializationOptions`` only (marked ``launchOnly``): the
``token`` and ``actions.allowSensitiveWrites``. A repository's own settings
(``.vscode/settings.json``, Emacs ``.dir-locals.el``) reach the server as
``workspace/configuration`` answers, and must choose neither the credential nor
whether files that run code are written without asking. Editors build
``initializationOptions`` from the user's own settings (VS Code: the user-level value of
an application-scoped setting). Keys may come nested
(``{"completion": {"mode": "off"}}``, as VS Code sends them) or dotted
(``{"completion.mode": "off"}``). ``None`` values mean "not set" (editors send
nulls for unset keys): the layer below decides.

:func:`merge_settings` validates key by key: a bad value is reported by its
dotted key and the previous value stays, so one typo never resets the rest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

DEFAULT_API_URL = "https://cli.cryptocatslab.ru"

MODELS: tuple[tuple[str, str], ...] = (
    ("qwen3-coder-flash", "Qwen, fast (good for completions)"),
    ("qwen3-coder-plus", "Qwen, powerful (good for actions)"),
    ("claude-haiku-4-5", "Claude, fast"),
    ("claude-sonnet-4-5", "Claude, balanced"),
    ("claude-sonnet-4-5-20250929", "Claude, improved"),
    ("claude-sonnet-4-20250514", "Claude, stable"),
    ("claude-3-7-sonnet-20250219", "Claude, advanced"),
)
"""The model ids Iskra serves, with a label: the one list (settings check, editor enums)."""

KNOWN_MODELS: tuple[str, ...] = tuple(model_id for model_id, _ in MODELS)

_MODEL_ENUM: dict[str, Any] = {
    "enum": list(KNOWN_MODELS),
    "enumDescriptions": [label for _, label in MODELS],
}


class _Section(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", validate_assignment=True
    )


class CompletionSettings(_Section):
    mode: Literal["auto", "manual", "off"] = Field(
        default="auto",
        description="When Iskra suggests inline completions.",
        json_schema_extra={
            "enumDescriptions": [
                "Suggest while typing and when asked (Trigger Inline Suggestion).",
                "Suggest only when asked (Trigger Inline Suggestion).",
                "No inline completions.",
            ]
        },
    )
    model: str = Field(
        default="qwen3-coder-flash",
        description="Model for inline completions.",
        json_schema_extra=_MODEL_ENUM,
    )
    debounce_ms: int = Field(
        default=300,
        ge=0,
        le=5000,
        description="Wait this many milliseconds after the last keystroke before asking "
        "the model (typing-triggered completions only).",
    )
    adaptive_debounce: bool = Field(
        default=True,
        description="Adapt the wait to your typing rhythm, so fast typing spends fewer requests.",
    )
    auto_budget: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Share of the day's remaining requests that typing-triggered completions "
        "may spend; past it only completions you ask for go out.",
    )
    transport: Literal["auto", "inline", "completionItem", "both"] = Field(
        default="auto",
        description="How suggestions are delivered to the editor. Read at start-up: "
        "changing it restarts the server.",
        json_schema_extra={
            "enumDescriptions": [
                "Ghost text where the editor supports it, else completion-list items.",
                "Ghost text only.",
                "Completion-list items only.",
                "Both ghost text and completion-list items.",
            ],
            "restart": True,
        },
    )
    budget_chars: int = Field(
        default=6000,
        ge=200,
        le=100_000,
        description="Characters of the file around the cursor sent with a completion request.",
    )
    workspace_index: bool = Field(
        default=True,
        description="Index the definitions in your workspace's files (read in a background "
        "process; secret files and files outside the folders are never read), so a prompt "
        "carries the signatures the code at the cursor uses. Off: no file is walked or "
        "watched and no process is started.",
    )
    skip_heuristics: bool = Field(
        default=True,
        description="Skip requests where a suggestion cannot help "
        "(for example the cursor in the middle of a word).",
    )
    max_tokens: int | None = Field(
        default=None,
        gt=0,
        description="Longest completion, in tokens. Empty: chosen by context.",
    )


class CustomAction(_Section):
    title: str = Field(
        min_length=1, description='Shown in the light-bulb menu after "Iskra: ".'
    )
    instruction: str = Field(
        min_length=1,
        description="What the model is asked to do with the selection or the cursor's code.",
    )
    kinds: list[str] = Field(
        default_factory=lambda: ["refactor"],
        description="Code action kinds, e.g. quickfix, refactor, refactor.rewrite, source.",
    )


class ActionSettings(_Section):
    model: str = Field(
        default="qwen3-coder-plus",
        description="Model for code actions and Iskra: Ask…",
        json_schema_extra=_MODEL_ENUM,
    )
    max_steps: int = Field(
        default=8,
        ge=1,
        le=50,
        description="Most tool-call rounds (read a file, edit a file, ...) one action may take.",
    )
    custom: list[CustomAction] = Field(
        default_factory=list,
        description="Your own code actions: each has a `title`, an `instruction` for the model "
        'and the code action `kinds` it appears under (e.g. `["refactor"]`).',
    )
    secret_globs: list[str] = Field(
        default_factory=list,
        description="Extra glob patterns of files the model may neither read nor list "
        "(`.env*`, keys and `.git/` are always refused).",
    )
    timeout_s: float = Field(
        default=120.0, gt=0, description="Seconds an action may run before it is given up."
    )
    allow_sensitive_writes: bool = Field(
        default=False,
        description="Let actions change files that make tools run code (`.vscode/`, CI, "
        "hooks…) without asking for confirmation. Read from your user settings only "
        "(`initializationOptions`), never from a workspace; changing it restarts the server.",
        json_schema_extra={"scope": "application", "launchOnly": True, "restart": True},
    )
    apply_timeout_s: float = Field(
        default=300.0,
        gt=0,
        le=3600,
        description="Seconds to wait for the editor to answer `workspace/applyEdit` "
        "(you may be reviewing a preview).",
    )


def environment_url_problem() -> str | None:
    """Why ``ISKRA_API_URL`` cannot be used (to tell the user once), or ``None``."""
    from iskra_ls.api.roots import url_problem

    url = os.environ.get("ISKRA_API_URL")
    problem = url_problem(url) if url else None
    if problem is None:
        return None
    return (
        f"ISKRA_API_URL {url!r} is not used ({problem}). The server uses {DEFAULT_API_URL} "
        "but sends it no token without your confirmation; fix the variable or set apiUrl."
    )


def api_url_from_environment() -> str:
    """``ISKRA_API_URL`` when it is a usable API root, else the default.

    A bad variable must not stop the server (its settings could never be built);
    :func:`environment_url_problem` gives the message the session shows.
    """
    if environment_url_problem() is not None:
        return DEFAULT_API_URL
    return os.environ.get("ISKRA_API_URL") or DEFAULT_API_URL


class Settings(_Section):
    api_url: str = Field(
        default_factory=lambda: api_url_from_environment(),
        validate_default=True,
        description="Root of the Iskra API (chat at `<root>/ai/v1`, account at "
        "`<root>/auth/...`). "
        "Empty: `ISKRA_API_URL` from the environment, else `https://cli.cryptocatslab.ru`. "
        "Changing it restarts the server.",
        json_schema_extra={"editorDefault": "", "scope": "machine", "restart": True},
    )
    token: str | None = Field(
        default=None,
        repr=False,
        description="A JWT for clients that cannot set `ISKRA_TOKEN` "
        "(it would show in LSP traces). Read from `initializationOptions` only.",
        json_schema_extra={"serverOnly": True, "launchOnly": True},
    )
    allow_unknown_models: bool = Field(
        default=False,
        description="Accept model ids that are not in the known list "
        "(for models added to the service later).",
    )
    temperature: float | None = Field(
        default=None, ge=0.0, le=2.0, description="Sampling temperature. Empty: the API's default."
    )
    top_p: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Nucleus sampling top_p. Empty: the API's default.",
    )
    max_tokens: int | None = Field(
        default=None,
        gt=0,
        description="Longest answer of a code action, in tokens. Empty: the API's default.",
    )
    request_timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds to wait for one API request."
    )
    log_level: Literal["error", "warning", "info", "debug"] = Field(
        default="info", description="How much the server writes to its log."
    )
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

    def unserved_models(self, available: Sequence[str]) -> list[SettingProblem]:
        """Model settings the service does not serve, each naming the ones it does."""
        problems = []
        for key, value in (("completion.model", self.completion.model),
                           ("actions.model", self.actions.model)):
            if value not in available:
                problems.append(SettingProblem(
                    key=key,
                    message=f"the service has no model {value!r}; "
                    f"available: {', '.join(available)}",
                    keeps=False,
                ))
        return problems


class SettingProblem(BaseModel):
    key: str
    message: str
    keeps: bool = True
    """The previous value stays (a rejected value); False: the value is in force but off."""
    ignored: bool = False
    """The value came from a layer that may not set this key: the launch value stays."""

    def __str__(self) -> str:
        if self.ignored:
            return (
                f"Iskra setting `{self.key}` is read only from your own launch settings "
                "(initializationOptions, built from your user settings); the value from the "
                "workspace configuration is ignored."
            )
        if not self.keeps:
            return f"Iskra setting `{self.key}`: {self.message}."
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
        """The latest full ``iskra`` section (``workspace/configuration`` or a push).

        Launch-only keys are dropped from it; one that tries to change the launch value
        is named (never its value: it may be a token).
        """
        kept, ignored = _without_launch_only(section or {}, self.base)
        self.section = kept
        self.current, problems = merge_settings(self.base, self.section, fallback=self.current)
        return self.current, ignored + problems


def _launch_only_keys(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    keys: set[tuple[str, ...]] = set()
    for name, field in model.model_fields.items():
        path = (*prefix, field.alias or name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _launch_only_keys(annotation, path)
        elif isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get(
            "launchOnly"
        ):
            keys.add(path)
    return keys


def _without_launch_only(
    section: Mapping[str, Any], base: Settings
) -> tuple[dict[str, Any], list[SettingProblem]]:
    """``section`` without launch-only keys; a problem for each that differs from ``base``."""
    kept: dict[str, Any] = {}
    ignored: list[SettingProblem] = []
    launch = base.model_dump(by_alias=True)
    for dotted, value in flatten(section).items():
        path = _normalise_key(dotted)
        if path not in LAUNCH_ONLY:
            kept[dotted] = value
        elif value is not None and value != _get_path(launch, path):
            ignored.append(SettingProblem(key=".".join(path), message="ignored", ignored=True))
    return kept, ignored


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


LAUNCH_ONLY: frozenset[tuple[str, ...]] = frozenset(_launch_only_keys(Settings))
"""The keys read from ``initializationOptions`` only (``launchOnly`` in the model)."""
