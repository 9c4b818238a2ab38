"""What flows through the filters: a suggestion, and a filter's name and condition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iskra_ls.completion.context import CompletionContext


@dataclass(frozen=True)
class Suggestion:
    """Text to insert at the cursor, replacing ``replace_after`` characters after it.

    The replaced characters lie on the cursor's line (auto-closed brackets, quotes,
    ``;``); the LSP range is cursor..cursor+replace_after, in the server's codec.
    """

    text: str
    replace_after: int = 0


def always(_ctx: CompletionContext) -> bool:
    return True


@dataclass(frozen=True)
class Filter:
    """One named step of post-processing: ``apply`` runs where ``when`` holds."""

    name: str
    apply: Callable[[Suggestion, CompletionContext], Suggestion]
    when: Callable[[CompletionContext], bool] = always


def on_text(fn: Callable[[str, CompletionContext], str]) -> Callable[
    [Suggestion, CompletionContext], Suggestion
]:
    """A filter step from a function of the text alone."""

    def step(suggestion: Suggestion, ctx: CompletionContext) -> Suggestion:
        return Suggestion(fn(suggestion.text, ctx), suggestion.replace_after)

    return step
