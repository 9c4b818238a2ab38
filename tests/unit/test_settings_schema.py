"""The settings schema has one source: the pydantic model generates package.json and the README.

These fail when someone edits a setting in one place only (run ``python -m iskra_ls.schema``).
"""

from __future__ import annotations

import json

from iskra_ls import schema
from iskra_ls.settings import KNOWN_MODELS, MODELS, Settings, merge_settings


def test_package_json_configuration_is_generated_from_the_model() -> None:
    committed = schema.PACKAGE_JSON.read_text(encoding="utf-8")
    assert committed == schema.render_package_json(committed), (
        "editors/vscode/package.json is stale: run `python -m iskra_ls.schema`"
    )


def test_readme_settings_table_is_generated_from_the_model() -> None:
    committed = schema.README.read_text(encoding="utf-8")
    assert committed == schema.render_readme(committed), (
        "README settings table is stale: run `python -m iskra_ls.schema`"
    )


def test_every_server_key_in_package_json_is_a_setting_with_the_models_default() -> None:
    properties = json.loads(schema.PACKAGE_JSON.read_text(encoding="utf-8"))["contributes"][
        "configuration"
    ]["properties"]
    defaults = Settings().model_dump(by_alias=True)
    server_keys = [
        key
        for key, value in properties.items()
        if schema.EDITOR_ONLY_TAG not in value.get("tags", [])
    ]
    assert server_keys, "no server settings contributed"
    for key in server_keys:
        dotted = key.removeprefix("iskra.")
        node = defaults
        for part in dotted.split("."):
            node = node[part]
        if dotted != "apiUrl":  # the editor leaves it empty: the server's env/default decides
            assert properties[key]["default"] == node, key
        _, problems = merge_settings(Settings(), {dotted: node})
        assert problems == [], key


def test_model_enums_come_from_the_one_model_list() -> None:
    properties = json.loads(schema.PACKAGE_JSON.read_text(encoding="utf-8"))["contributes"][
        "configuration"
    ]["properties"]
    for key in ("iskra.completion.model", "iskra.actions.model"):
        assert properties[key]["enum"] == list(KNOWN_MODELS)
        assert len(properties[key]["enumDescriptions"]) == len(MODELS)


def test_restart_keys_are_tagged_for_the_extension() -> None:
    properties = schema.vscode_configuration()["properties"]
    restart = {key for key, value in properties.items() if "restart" in value.get("tags", [])}
    assert restart == {
        "iskra.apiUrl",
        "iskra.completion.transport",
        "iskra.server.path",
        "iskra.server.pythonPath",
        "iskra.actions.allowSensitiveWrites",  # read at start-up only (initializationOptions)
    }
    assert "iskra.token" not in properties


def test_consent_cannot_be_switched_off_by_a_workspace() -> None:
    """Application scope: VS Code ignores the key in a repository's .vscode/settings.json."""
    setting = schema.vscode_configuration()["properties"]["iskra.actions.allowSensitiveWrites"]
    assert setting["scope"] == "application"
    assert schema.LAUNCH_ONLY_TAG in setting["tags"]
