"""Inline completions: prompt building, reply post-processing and the suggestion cache.

The pure parts live here; the scheduler (debounce, supersede, quota) and the LSP
handler call them. Flow: ``build_context`` -> ``build_prompt`` -> model ->
``postprocess`` (or ``early_stop_text`` while streaming) -> ``SuggestionCache``.
"""

from iskra_ls.completion.cache import SuggestionCache
from iskra_ls.completion.context import (
    CURSOR_MARKER,
    CompletionContext,
    Prompt,
    build_context,
    build_prompt,
)
from iskra_ls.completion.indentation import detect_indent_unit
from iskra_ls.completion.postprocess import (
    Suggestion,
    early_stop_text,
    first_line_complete,
    postprocess,
)

__all__ = [
    "CURSOR_MARKER",
    "CompletionContext",
    "Prompt",
    "Suggestion",
    "SuggestionCache",
    "build_context",
    "build_prompt",
    "detect_indent_unit",
    "early_stop_text",
    "first_line_complete",
    "postprocess",
]
