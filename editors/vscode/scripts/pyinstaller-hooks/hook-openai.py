"""PyInstaller hook for openai in the frozen iskra-ls (build-vsix.sh's --additional-hooks-dir).

openai imports parts of itself lazily, so all of it is collected except the parts iskra-ls
never uses and that cannot be imported in the build: the agents streaming helpers (a
circular import when imported on their own), the voice helpers (they need numpy, which the
build leaves out) and the realtime websocket clients (they need `websockets`). Collecting
those made PyInstaller warn "Failed to collect submodules for …"; a new failure still warns.
"""

from PyInstaller.utils.hooks import collect_submodules

UNUSED = (
    "openai.lib.streaming.agents",
    "openai.helpers",
    "openai.lib._websocket",
    "openai.lib._azure_websocket",
)

hiddenimports = collect_submodules(
    "openai",
    filter=lambda name: not any(name == u or name.startswith(u + ".") for u in UNUSED),
)
