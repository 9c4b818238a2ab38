"""Filter: a one-line reply wrapped in single backticks, unwrapped where ` is not code."""

from __future__ import annotations

from iskra_ls.languages import language_for


def strip_inline_code(text: str, language_id: str) -> str:
    """A one-line reply wrapped in single backticks, unwrapped (not where ` is code)."""
    stripped = text.strip()
    if (
        not language_for(language_id).backticks_are_code
        and "\n" not in stripped
        and len(stripped) > 2
        and stripped[0] == stripped[-1] == "`"
        and "`" not in stripped[1:-1]
    ):
        return stripped[1:-1]
    return text
