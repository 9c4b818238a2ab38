"""An inline suggestion that extends the completion item the editor has selected.

While VS Code's suggest widget is open, an inline completion request carries
``selectedCompletionInfo`` (the selected item's range and text), and VS Code
shows an inline item only when it extends that item: its range starts where
the item's does and its text starts with the item's text. So the model is asked
about the document as if the item were accepted, and the answer is mapped back
onto the real document. Pure: offsets in, offsets out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SelectedItem:
    """The selected completion item: it would replace ``[start, end)`` with ``text``."""

    start: int
    end: int
    text: str

    @classmethod
    def at_cursor(cls, start: int, end: int, text: str, cursor: int) -> SelectedItem | None:
        """The item, when its range is sane and holds the cursor (else ignore it)."""
        if not 0 <= start <= cursor <= end:
            return None
        return cls(start, end, text)

    def accepted(self, document: str) -> tuple[str, int]:
        """The document with the item accepted, and the cursor right after the item."""
        return document[: self.start] + self.text + document[self.end :], self.start + len(
            self.text
        )

    def extend(self, document: str, start: int, end: int, insert: str) -> tuple[int, int, str]:
        """Map an edit made on :meth:`accepted`'s document back onto ``document``.

        The result replaces ``document[start:end]`` and, for an answer at or after
        the accepted item (the usual case), starts at the item's start with the
        item's text.
        """
        virtual, cursor = self.accepted(document)
        begin = min(self.start, start)
        text = virtual[begin:start] + insert
        last = max(end, cursor)
        return begin, last - cursor + self.end, text
