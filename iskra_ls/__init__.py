"""iskra-ls: a language server for the Iskra AI service.

Inline (ghost-text) completions, code actions and free-form instructions for
any LSP editor, backed by Iskra's OpenAI-compatible chat completions.
"""

__version__ = "0.1.0"
