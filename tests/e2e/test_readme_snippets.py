"""Every editor snippet in the READMEs, run as written in the real editor.

The fenced blocks of README.md and editors/*/README.md are read by language: each `elisp`
block runs in real Emacs (Debian's emacs-nox + elpa-eglot), each `lua` block in real Neovim
0.12, each through a scenario that uses it as a person would (tests/editors/snippets/).
A new snippet with no scenario fails here, so a README cannot drift from what works.
Helix is not packaged for Debian 12: its `toml` block is parsed and checked against what the
server is; the VS Code `json` fragment against the extension's settings schema.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from test_emacs import emacs_with_eglot, run_emacs
from test_neovim import run_nvim

from iskra_ls.stub import Reply, StubIskra

pytestmark = pytest.mark.real_editor

REPO = Path(__file__).resolve().parents[2]
READMES = [REPO / "README.md", *sorted((REPO / "editors").glob("*/README.md"))]
SCENARIOS = REPO / "tests" / "editors" / "snippets"
EDITOR_LANGUAGES = ("elisp", "lua", "toml", "json")
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.S | re.M)


def editor_snippets() -> list[tuple[str, str, str]]:
    """(where, language, code) of every editor snippet, indentation removed."""
    found = []
    for readme in READMES:
        text = readme.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            indent, language, body = match.groups()
            if language not in EDITOR_LANGUAGES:
                continue
            code = "".join(line[len(indent):] for line in body.splitlines(keepends=True))
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{readme.relative_to(REPO)}:{line}", language, code))
    return found


SNIPPETS = editor_snippets()


def scenario(language: str, code: str) -> str:
    """Which scenario runs this snippet (fails for one nobody wrote a scenario for)."""
    if language == "elisp" and "iskra.complete" in code:
        return "eglot"
    if language == "elisp" and "iskra-mode" in code:
        return "package"
    if language == "lua":
        if code.lstrip().startswith("{"):
            return "lazy"
        if "vim.pack.add" in code:
            return "pack"
        if "runtimepath:append" in code:
            return "by-hand"
    if language in ("toml", "json"):
        return language
    pytest.fail(f"no scenario runs this {language} snippet; add one:\n{code}")


def test_the_readmes_have_the_snippets_we_expect() -> None:
    kinds = sorted(scenario(lang, code) for _, lang, code in SNIPPETS)
    assert kinds == ["by-hand", "eglot", "json", "lazy", "pack", "package", "toml"], kinds


@pytest.fixture
async def stub() -> object:
    async with StubIskra() as s:
        yield s


def _home_with_checkout(tmp: Path) -> Path:
    """A home folder whose ~/src/iskra-ls is this checkout (the READMEs' example path)."""
    home = tmp / "home"
    (home / "src").mkdir(parents=True, exist_ok=True)
    (home / "src" / "iskra-ls").symlink_to(REPO)
    return home


@pytest.mark.parametrize(
    ("where", "code"),
    [pytest.param(w, c, id=w) for w, lang, c in SNIPPETS if lang == "elisp"],
)
async def test_emacs_snippet(stub: StubIskra, tmp_path: Path, where: str, code: str) -> None:
    emacs = emacs_with_eglot()
    snippet = tmp_path / "snippet.el"
    snippet.write_text(code)
    kind = scenario("elisp", code)
    if kind == "eglot":
        stub.script(Reply.text("add(3, 4)"))
    else:
        stub.script(Reply.text("a + b"))
    home = _home_with_checkout(tmp_path)
    script = SCENARIOS / ("eglot_complete.el" if kind == "eglot" else "iskra_package.el")
    report = await run_emacs(emacs, script, tmp_path, stub,
                             extra_env={"ISKRA_SNIPPET": str(snippet), "HOME": str(home)})
    if kind == "eglot":
        prompt = json.dumps(stub.requests[-1]["messages"])
        assert "stale = 1" not in prompt, "the server completed a text eglot had not sent yet"
        assert report["the completed line"] == "y = add(3, 4)"


@pytest.mark.parametrize(
    ("where", "code"),
    [pytest.param(w, c, id=w) for w, lang, c in SNIPPETS if lang == "lua"],
)
async def test_neovim_snippet(stub: StubIskra, tmp_path: Path, where: str, code: str) -> None:
    snippet = tmp_path / "snippet.lua"
    snippet.write_text(code)
    home = _home_with_checkout(tmp_path)
    await run_nvim("../snippets/neovim.lua", tmp_path, stub, param=scenario("lua", code),
                   extra_env={"ISKRA_SNIPPET": str(snippet), "HOME": str(home)})


@pytest.mark.parametrize(
    ("where", "code"),
    [pytest.param(w, c, id=w) for w, lang, c in SNIPPETS if lang == "toml"],
)
def test_helix_snippet_names_the_server(where: str, code: str) -> None:
    config = tomllib.loads(code)
    server = config["language-server"]["iskra"]
    assert server["command"] == "iskra-ls"
    assert set(server["environment"]) <= {"ISKRA_TOKEN", "ISKRA_API_URL", "ISKRA_CONFIG_DIR"}
    for language in config["language"]:
        assert "iskra" in language["language-servers"]


@pytest.mark.parametrize(
    ("where", "code"),
    [pytest.param(w, c, id=w) for w, lang, c in SNIPPETS if lang == "json"],
)
def test_vscode_settings_snippet_fits_the_schema(where: str, code: str) -> None:
    settings = json.loads("{" + code + "}")
    package = json.loads((REPO / "editors" / "vscode" / "package.json").read_text())
    schema = package["contributes"]["configuration"]["properties"]
    for key, value in settings.items():
        assert key in schema, key
        item = schema[key].get("items", {})
        for entry in value if isinstance(value, list) else []:
            assert set(item.get("required", [])) <= set(entry), entry
            assert set(entry) <= set(item.get("properties", {})), entry
