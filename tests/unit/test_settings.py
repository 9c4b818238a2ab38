"""Settings: one typed model, merged key by key; a bad key is named and the old value kept."""

from __future__ import annotations

import pytest

from iskra_ls.settings import DEFAULT_API_URL, Settings, merge_settings


def test_defaults_match_the_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ISKRA_API_URL", raising=False)
    s = Settings()
    assert s.api_url == DEFAULT_API_URL
    assert s.completion.mode == "auto"
    assert s.completion.model == "qwen3-coder-flash"
    assert s.completion.auto_budget == 0.5
    assert s.actions.model == "qwen3-coder-plus"
    assert s.temperature is None and s.top_p is None and s.max_tokens is None


def test_environment_sets_the_api_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISKRA_API_URL", "http://127.0.0.1:9/")
    assert Settings().api_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("update", "check"),
    [
        pytest.param({"completion": {"mode": "off"}}, lambda s: s.completion.mode == "off",
                     id="nested"),
        pytest.param({"completion.mode": "manual"}, lambda s: s.completion.mode == "manual",
                     id="dotted"),
        pytest.param({"completion.debounce_ms": 10}, lambda s: s.completion.debounce_ms == 10,
                     id="snake-case"),
        pytest.param({"topP": 0.3, "temperature": 0}, lambda s: (s.top_p, s.temperature) ==
                     (0.3, 0), id="sampling"),
        pytest.param({"actions": {"custom": [{"title": "T", "instruction": "I"}]}},
                     lambda s: s.actions.custom[0].kinds == ["refactor"], id="custom-action"),
        pytest.param({"temperature": None}, lambda s: s.temperature is None, id="null-ignored"),
        pytest.param({"unknownKey": 1, "completion": {"nope": 2}}, lambda s: True,
                     id="unknown-ignored"),
    ],
)
def test_valid_updates(update: dict, check) -> None:  # type: ignore[no-untyped-def,type-arg]
    merged, problems = merge_settings(Settings(), update)
    assert problems == []
    assert check(merged)


@pytest.mark.parametrize(
    ("update", "key"),
    [
        pytest.param({"temperature": 2.5}, "temperature", id="temperature>2"),
        pytest.param({"topP": -0.1}, "topP", id="topP<0"),
        pytest.param({"maxTokens": 0}, "maxTokens", id="maxTokens=0"),
        pytest.param({"completion": {"autoBudget": 2}}, "completion.autoBudget", id="budget"),
        pytest.param({"completion": {"mode": "sometimes"}}, "completion.mode", id="mode"),
        pytest.param({"completion": {"model": "gpt-4"}}, "completion.model", id="unknown-model"),
        pytest.param({"actions.maxSteps": 0}, "actions.maxSteps", id="maxSteps"),
        pytest.param({"apiUrl": "ftp://x"}, "apiUrl", id="url-scheme"),
    ],
)
def test_bad_value_is_named_and_previous_value_kept(update: dict, key: str) -> None:  # type: ignore[type-arg]
    before, _ = merge_settings(Settings(), {"temperature": 0.4, "completion": {"mode": "manual"}})
    merged, problems = merge_settings(before, update)
    assert [p.key for p in problems] == [key]
    assert key in str(problems[0]) and "keeping the previous value" in str(problems[0])
    assert merged == before


def test_one_bad_key_does_not_reset_the_others() -> None:
    merged, problems = merge_settings(Settings(), {"temperature": 9, "topP": 0.5})
    assert [p.key for p in problems] == ["temperature"]
    assert merged.top_p == 0.5


def test_unknown_models_allowed_explicitly() -> None:
    merged, problems = merge_settings(
        Settings(), {"allowUnknownModels": True, "completion": {"model": "my-model"}}
    )
    assert problems == [] and merged.completion.model == "my-model"


def test_token_never_in_repr() -> None:
    merged, _ = merge_settings(Settings(), {"token": "secret-token-value"})
    assert "secret-token-value" not in repr(merged)
