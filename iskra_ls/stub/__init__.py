"""A bundled Iskra-compatible server: tests, the demo and trying the plugin without an account.

``StubIskra`` runs inside an asyncio loop; ``run_stub_server`` runs it as a process (the
``iskra-ls stub-server`` command). Model answers are scripted with ``Reply``; with no
script the stub answers ``"pass"``, or ``"Done."`` to a request that offers tools.
"""

from iskra_ls.stub.accounts import TIER_LIMITS, Account
from iskra_ls.stub.replies import DEFAULT_TEXT, DEFAULT_TOOLS_TEXT, Reply, ToolCall, default_reply
from iskra_ls.stub.server import StubIskra, run_stub_server
from iskra_ls.stub.wire import MODELS

__all__ = [
    "DEFAULT_TEXT",
    "DEFAULT_TOOLS_TEXT",
    "MODELS",
    "TIER_LIMITS",
    "Account",
    "Reply",
    "StubIskra",
    "ToolCall",
    "default_reply",
    "run_stub_server",
]
