"""Tool schemas offered to the model, and parsing of its calls."""

from __future__ import annotations

import json

import pytest

from iskra_ls.actions import tools
from iskra_ls.actions.tools import TOOL_SPECS, ToolError, parse_tool_call

NAMES = [
    "read_file",
    "list_directory",
    "create_file_or_folder",
    "write_file",
    "replace_in_file",
    "delete_file",
    "rename_file",
]


def test_specs_are_openai_functions() -> None:
    assert [spec["function"]["name"] for spec in TOOL_SPECS] == NAMES
    for spec in TOOL_SPECS:
        assert spec["type"] == "function"
        function = spec["function"]
        assert function["description"]
        parameters = function["parameters"]
        assert parameters["type"] == "object"
        assert parameters["additionalProperties"] is False
        assert "uri" in parameters["required"]
        text = json.dumps(parameters)
        assert '"title"' not in text and "anyOf" not in text
    json.dumps(TOOL_SPECS)  # serialisable as the request body


def test_required_and_optional_fields() -> None:
    by_name = {spec["function"]["name"]: spec["function"]["parameters"] for spec in TOOL_SPECS}
    assert by_name["read_file"]["required"] == ["uri"]
    assert by_name["read_file"]["properties"]["start_line"] == {
        "description": "First line, 1-based.",
        "minimum": 1,
        "type": "integer",
    }
    assert by_name["create_file_or_folder"]["required"] == ["uri"]
    assert set(by_name["replace_in_file"]["required"]) == {"uri", "search", "replace"}
    assert set(by_name["rename_file"]["required"]) == {"uri", "new_uri"}
    assert set(by_name["write_file"]["required"]) == {"uri", "content"}


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("read_file", '{"uri": "a.py"}', tools.ReadFile(uri="a.py")),
        (
            "read_file",
            '{"uri": "a.py", "start_line": 3, "end_line": 9}',
            tools.ReadFile(uri="a.py", start_line=3, end_line=9),
        ),
        (
            "read_file",
            '{"uri": "a.py", "start_line": "4"}',
            tools.ReadFile(uri="a.py", start_line=4),
        ),
        ("list_directory", '{"uri": "/"}', tools.ListDirectory(uri="/")),
        ("create_file_or_folder", '{"uri": "/test.py"}', tools.CreateFileOrFolder(uri="/test.py")),
        (
            "create_file_or_folder",
            '{"uri": "t.py", "content": "x = 1\\n"}',
            tools.CreateFileOrFolder(uri="t.py", content="x = 1\n"),
        ),
        ("write_file", '{"uri": "a", "content": ""}', tools.WriteFile(uri="a", content="")),
        (
            "replace_in_file",
            '{"uri": "a", "search": "x", "replace": "y"}',
            tools.ReplaceInFile(uri="a", search="x", replace="y"),
        ),
        ("delete_file", '{"uri": "a"}', tools.DeleteFile(uri="a")),
        ("rename_file", '{"uri": "a", "new_uri": "b"}', tools.RenameFile(uri="a", new_uri="b")),
    ],
)
def test_valid_calls(name: str, arguments: str, expected: tools.ToolArgs) -> None:
    assert parse_tool_call(name, arguments) == expected


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("run_shell", '{"cmd": "ls"}', "Unknown tool 'run_shell'"),
        ("read_file", "{uri: a.py}", "not valid JSON"),
        ("read_file", '{"uri": "a.py"', "not valid JSON"),
        ("read_file", '["a.py"]', "must be a JSON object, not list"),
        ("read_file", '"a.py"', "must be a JSON object, not str"),
        ("read_file", "null", "must be a JSON object"),
        ("read_file", "", "missing required argument 'uri'"),
        ("read_file", "{}", "missing required argument 'uri'"),
        ("read_file", '{"path": "a.py"}', "unexpected argument 'path'"),
        ("read_file", '{"uri": 5}', "'uri': Input should be a valid string"),
        ("read_file", '{"uri": "a", "start_line": 0}', "'start_line'"),
        ("read_file", '{"uri": "a", "start_line": "x"}', "'start_line'"),
        ("read_file", '{"uri": "a", "start_line": 5, "end_line": 2}', "end_line must not be"),
        ("list_directory", '{"uri": "a", "recursive": true}', "unexpected argument 'recursive'"),
        ("create_file_or_folder", '{"uri": "a", "content": 3}', "'content'"),
        ("write_file", '{"uri": "a"}', "missing required argument 'content'"),
        ("replace_in_file", '{"uri": "a", "search": "x"}', "missing required argument 'replace'"),
        ("replace_in_file", '{"uri": "a", "old": "x", "new": "y"}', "unexpected argument 'old'"),
        ("delete_file", '{"uri": null}', "'uri'"),
        ("rename_file", '{"uri": "a"}', "missing required argument 'new_uri'"),
    ],
)
def test_parse_errors(name: str, arguments: str, message: str) -> None:
    with pytest.raises(ToolError) as caught:
        parse_tool_call(name, arguments)
    text = str(caught.value)
    assert message in text
    if name in NAMES:
        assert text.startswith(f"{name}: ")
    assert len(text) < 400


@pytest.mark.parametrize("arguments", ["[" * 2000, '{"uri": ' + "[" * 5000 + "]" * 5000 + "}"])
def test_deeply_nested_arguments_are_an_error_for_the_model(arguments: str) -> None:
    with pytest.raises(ToolError) as caught:
        parse_tool_call("read_file", arguments)
    assert str(caught.value).startswith("read_file: ")


@pytest.mark.parametrize(("operations", "missing"), [
    (["create", "rename", "delete"], set()),
    (["rename", "delete"], {"create_file_or_folder"}),
    ([], {"create_file_or_folder", "delete_file", "rename_file"}),
])
def test_tools_follow_the_editors_resource_operations(
    operations: list[str], missing: set[str]
) -> None:
    from iskra_ls.actions.tools import available_tools, tool_specs

    names = available_tools(operations)
    assert set(NAMES) - set(names) == missing
    specs = tool_specs(names)
    assert [s["function"]["name"] for s in specs] == names
    write = next(s for s in specs if s["function"]["name"] == "write_file")
    assert ("does not let Iskra create files" in write["function"]["description"]) == (
        "create_file_or_folder" in missing)
    for name in missing:
        with pytest.raises(ToolError, match="Unknown tool"):
            parse_tool_call(name, '{"uri": "a"}', names)


def test_output_budget_caps_a_round_and_the_action() -> None:
    from iskra_ls.actions.runner import OutputBudget

    budget = OutputBudget(per_round=100, per_action=250)
    assert budget.take("a" * 60) == "a" * 60
    assert budget.take("b" * 60).startswith("Error: this round's")
    budget.new_round()
    assert budget.take("c" * 90) == "c" * 90
    budget.new_round()
    assert budget.take("d" * 90) == "d" * 90
    budget.new_round()
    assert budget.take("e" * 20).startswith("Error: this action's")
