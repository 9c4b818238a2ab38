"""Settings in force = defaults + initializationOptions + the latest full ``iskra`` section.

A key removed from the section (or set to null) goes back to what the lower
layers say, instead of keeping the last value it ever had.
"""

from __future__ import annotations

import pytest

from iskra_ls.settings import Settings, SettingsLayers


def test_a_removed_key_returns_to_its_default() -> None:
    layers = SettingsLayers()
    first, problems = layers.with_section(
        {"temperature": 0.7, "topP": 0.5, "maxTokens": 100, "completion": {"maxTokens": 50}}
    )
    assert problems == []
    assert (first.temperature, first.top_p, first.max_tokens) == (0.7, 0.5, 100)
    assert first.completion.max_tokens == 50
    second, problems = layers.with_section({})
    assert problems == []
    assert second == Settings()


@pytest.mark.parametrize("nulls", [
    {"temperature": None, "topP": None, "maxTokens": None, "completion": {"maxTokens": None}},
    {"temperature": None, "topP": None, "maxTokens": None, "completion.maxTokens": None},
])
def test_a_null_key_returns_to_its_default(nulls: dict) -> None:  # type: ignore[type-arg]
    layers = SettingsLayers()
    layers.with_section({"temperature": 0.7, "topP": 0.5, "maxTokens": 100,
                         "completion": {"maxTokens": 50, "mode": "manual"}})
    settings, _ = layers.with_section({**nulls, "completion.mode": "manual"})
    assert (settings.temperature, settings.top_p, settings.max_tokens) == (None, None, None)
    assert settings.completion.max_tokens is None
    assert settings.completion.mode == "manual"


def test_initialization_options_are_the_floor_the_section_falls_back_to() -> None:
    layers = SettingsLayers()
    base, problems = layers.with_initialization_options(
        {"temperature": 0.3, "completion": {"mode": "manual"}})
    assert problems == [] and base.temperature == 0.3
    over, _ = layers.with_section({"temperature": 0.9})
    assert over.temperature == 0.9 and over.completion.mode == "manual"
    back, _ = layers.with_section({})
    assert back.temperature == 0.3 and back.completion.mode == "manual"


def test_a_bad_key_keeps_the_value_in_force_and_is_named() -> None:
    layers = SettingsLayers()
    layers.with_section({"temperature": 0.4, "completion": {"debounceMs": 120}})
    settings, problems = layers.with_section(
        {"temperature": 0.4, "completion": {"debounceMs": -5}})
    assert [p.key for p in problems] == ["completion.debounceMs"]
    assert settings.completion.debounce_ms == 120  # the previous value, not the default
    assert settings.temperature == 0.4


def test_a_bad_initialization_option_is_reported_once() -> None:
    layers = SettingsLayers()
    _, problems = layers.with_initialization_options({"temperature": 9})
    assert [p.key for p in problems] == ["temperature"]
    _, problems = layers.with_section({"topP": 0.2})
    assert problems == []


def test_a_workspace_section_cannot_set_the_launch_only_keys() -> None:
    """A repository's settings choose neither the token nor consent (issue 20.2, 20.6)."""
    layers = SettingsLayers()
    layers.with_initialization_options({"actions": {"allowSensitiveWrites": False}})
    settings, problems = layers.with_section({
        "actions": {"allowSensitiveWrites": True}, "token": "secret-from-the-repo",
        "completion": {"mode": "manual"},
    })
    assert settings.actions.allow_sensitive_writes is False and settings.token is None
    assert settings.completion.mode == "manual"  # the rest of the section still applies
    assert sorted(p.key for p in problems) == ["actions.allowSensitiveWrites", "token"]
    assert all(p.ignored and "secret-from-the-repo" not in str(p) for p in problems)
    assert "initializationOptions" in str(problems[0])


def test_the_users_own_value_echoed_by_the_section_is_not_a_problem() -> None:
    layers = SettingsLayers()
    layers.with_initialization_options({"actions.allowSensitiveWrites": True})
    settings, problems = layers.with_section({"actions": {"allowSensitiveWrites": True}})
    assert settings.actions.allow_sensitive_writes is True and problems == []
