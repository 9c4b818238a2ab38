"""The pygls internals this server patches or reads are still there, as we expect them.

``iskra_ls.protocol`` overrides private pygls methods and ``iskra_ls.lifecycle``
reads pygls's request bookkeeping. A pygls release that renames one of them
would silently turn a fix off, so pyproject pins the release these patches
were written for, and this test fails loudly, naming the missing member,
when anything they rely on moves.
"""

from __future__ import annotations

import asyncio
import inspect
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from pygls.protocol import JsonRPCProtocol, LanguageServerProtocol
from pygls.workspace import Workspace

from iskra_ls.editor import IskraServer
from iskra_ls.protocol import IskraProtocol, IskraWorkspace

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

READ_ATTRIBUTES = {
    # attribute of a live protocol -> who reads it
    "_request_futures": "lifecycle.stop_in_flight, IskraProtocol._drop/_handle_response",
    "_converter": "server.on_code_action",
    "_ctx_msg_id": "LanguageServerProtocol.msg_id (track_command, stop_in_flight)",
    "fm": "server.on_initialize (drops an unused completion feature)",
}
WORKSPACE_ATTRIBUTES = ("_sync_kind", "_position_codec")
OWN_HELPERS = {"_forget", "_drop", "track_command", "client_work_done_token",
               "find_text_document"}
"""Members of IskraProtocol / IskraWorkspace that are ours, not overrides (every other
one must override a pygls member)."""


def _own_members(cls: type) -> list[str]:
    """Names a subclass defines (but dunders): each overrides pygls, or is a helper of ours."""
    return [name for name in vars(cls) if not name.startswith("__")]


def _set_in_init(cls: type, name: str) -> bool:
    """Whether a pygls base sets ``self.<name>`` in ``__init__`` (we made it a property)."""
    for base in cls.__mro__[1:]:
        init = vars(base).get("__init__")
        if base.__module__.startswith("pygls") and init is not None:
            if f"self.{name} " in inspect.getsource(init) or f"self.{name}:" in \
                    inspect.getsource(init):
                return True
    return False


def _pygls_owner(cls: type, name: str) -> type | None:
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("pygls") and name in vars(base):
            return base
    return None


def test_pygls_is_pinned_to_the_release_the_patches_were_written_for() -> None:
    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    pygls = [Requirement(d) for d in deps if Requirement(d).name == "pygls"]
    assert len(pygls) == 1, deps
    spec = pygls[0].specifier
    assert spec.contains("2.1.1") and spec.contains("2.1.9")
    assert not spec.contains("2.1.0") and not spec.contains("2.2.0"), str(spec)
    assert spec.contains(version("pygls")), "the installed pygls is outside the pin"


@pytest.mark.parametrize(
    ("cls", "base"), [(IskraProtocol, LanguageServerProtocol), (IskraWorkspace, Workspace)]
)
def test_every_overridden_private_member_still_exists_in_pygls(cls: type, base: type) -> None:
    own = _own_members(cls)
    assert own, f"{cls.__name__} overrides nothing? update this test"
    for name in own:
        owner = _pygls_owner(cls, name)
        if name in OWN_HELPERS:
            assert owner is None, f"pygls now defines {name}: our helper shadows it"
            continue
        assert owner is not None or _set_in_init(cls, name), (
            f"pygls {version('pygls')} no longer has {base.__name__}.{name}, which "
            f"{cls.__name__} overrides: the fix it carries is off (or, if {name} is a new "
            "helper of ours, add it to OWN_HELPERS)"
        )


def _overridden_methods() -> list[tuple[type, str]]:
    return [
        (cls, name) for cls in (IskraProtocol, IskraWorkspace)
        for name, member in vars(cls).items()
        if inspect.isfunction(member) and not name.startswith("__")
        and _pygls_owner(cls, name) is not None
    ]


@pytest.mark.parametrize(("ours", "name"), _overridden_methods())
def test_overridden_methods_keep_their_parameters(ours: type, name: str) -> None:
    base = _pygls_owner(ours, name)
    assert base is not None, f"pygls no longer defines {name}"
    theirs = list(inspect.signature(vars(base)[name]).parameters)
    mine = list(inspect.signature(vars(ours)[name]).parameters)
    assert mine == theirs, f"{base.__name__}.{name} now takes {theirs}; we override {mine}"


def test_overridden_builtin_handlers_still_answer_the_same_method() -> None:
    """An ``lsp_*`` override replaces pygls's built-in only under the same LSP method."""
    for name, member in vars(IskraProtocol).items():
        method = getattr(member, "method_name", None)
        if method is None:
            continue
        base = _pygls_owner(IskraProtocol, name)
        assert base is not None, f"pygls no longer has the built-in {name} for {method}"
        assert getattr(vars(base)[name], "method_name", None) == method, (
            f"pygls's {name} now handles {getattr(vars(base)[name], 'method_name', None)}, "
            f"not {method}: both would be registered"
        )


async def test_the_attributes_we_read_exist_on_a_live_protocol() -> None:
    server = IskraServer()
    protocol = server.protocol
    assert isinstance(protocol, IskraProtocol)
    for name, reader in READ_ATTRIBUTES.items():
        assert hasattr(protocol, name), f"pygls protocol lost {name} (read by {reader})"
    assert isinstance(protocol._request_futures, dict)
    assert isinstance(protocol.fm.features, dict)
    assert "msg_id" in vars(JsonRPCProtocol) and isinstance(vars(JsonRPCProtocol)["msg_id"],
                                                             property)
    workspace = Workspace(None)
    for name in WORKSPACE_ATTRIBUTES:
        assert hasattr(workspace, name), f"pygls Workspace lost {name} (IskraWorkspace reads it)"
    assert isinstance(server.work_done_progress.tokens, dict)
    assert asyncio.iscoroutinefunction(server.work_done_progress.create_async)


def test_shutdown_still_cancels_pending_requests_as_lifecycle_expects() -> None:
    """``stop_in_flight`` exists because pygls cancels while iterating its dict."""
    source = inspect.getsource(LanguageServerProtocol.lsp_shutdown)
    assert "_request_futures" in source and "cancel()" in source, (
        "pygls changed how shutdown cancels requests: revisit iskra_ls.lifecycle"
    )


@pytest.mark.parametrize("cls", [IskraProtocol, IskraWorkspace])
def test_instance_attributes_we_turn_into_properties_are_still_set_by_pygls(cls: type) -> None:
    """A property over an attribute pygls sets in ``__init__`` (our document class...)."""
    properties = [n for n, v in vars(cls).items() if isinstance(v, property) and
                  _pygls_owner(cls, n) is None and n.startswith("_")]
    for name in properties:
        assert _set_in_init(cls, name), (
            f"pygls no longer sets {name} in __init__: {cls.__name__}'s property for it "
            "is bypassed"
        )
