"""Choosing what else the prompt carries (issue 22): definitions of the names around the
cursor first, then edited ranges of other documents, then the open documents most like
the code at the cursor (Jaccard over identifiers, not recency), all within one budget."""

from __future__ import annotations

from iskra_ls.completion.related import (
    OpenText,
    choose_parts,
    definition_parts,
    names_near_cursor,
    render,
    sent_parts,
    similar_parts,
)
from iskra_ls.symbols.tags import Definition

DEFS = {
    "parse_header": [Definition("parse_header", "function", "/w/pkg/headers.py", 3,
                                "def parse_header(data, strict=False):", "Split a header.")],
    "Reader": [Definition("Reader", "class", "/w/pkg/io.py", 0, "class Reader:")],
    "get": [Definition("get", "function", f"/w/far{i}/m.py", 0, "def get():") for i in range(5)]
    + [Definition("get", "function", "/w/pkg/near.py", 0, "def get(key):")],
}


def lookup(name: str) -> list[Definition]:
    return DEFS.get(name, [])


def label(path: str) -> str:
    return path.removeprefix("/w/")


def choose(prefix: str, suffix: str = "", others: tuple[OpenText, ...] = (),
           budget: int = 2000) -> list:
    return choose_parts(prefix=prefix, suffix=suffix, own_path="/w/pkg/main.py", lookup=lookup,
                        label=label, language_of=lambda _p: "python", others=others,
                        budget=budget)


def test_names_nearest_the_cursor_come_first() -> None:
    names = names_near_cursor("import far_away\n" + "x = 1\n" * 30 + "value = parse_header(",
                              "\nreturn value\n")
    assert names.index("parse_header") < names.index("far_away")
    assert names.index("value") < names.index("far_away")


def test_a_definition_carries_its_signature_doc_and_relative_source() -> None:
    parts = choose("fields = parse_header(")
    assert [(p.kind, p.source) for p in parts] == [("definition", "pkg/headers.py:4")]
    assert parts[0].text == "def parse_header(data, strict=False):\n    # Split a header."


def test_a_name_defined_in_many_files_takes_the_nearest_folders_only() -> None:
    parts = choose("x = get(")
    assert parts[0].source == "pkg/near.py:1" and len(parts) == 3


def test_the_own_file_and_unknown_names_bring_nothing() -> None:
    assert definition_parts(["parse_header", "nothing"], lookup, "/w/pkg/headers.py", label,
                            lambda _p: "python", 2000) == []


def test_edited_ranges_rank_above_similar_whole_files() -> None:
    similar = OpenText("pkg/similar.py", "fields = parse_header(data)\nvalue = fields\n")
    edited = OpenText("pkg/edited.py", "\n".join(f"line{i} = {i}" for i in range(100)),
                      edited_lines=(50,))
    parts = choose("fields = parse_header(data)\nvalue = ", others=(similar, edited))
    kinds = [(p.kind, p.source) for p in parts]
    assert kinds[1] == ("edited", "pkg/edited.py:47-55"), kinds
    assert "line50 = 50" in parts[1].text and "line40" not in parts[1].text
    assert kinds[2] == ("similar", "pkg/similar.py:1-2")


def test_open_documents_rank_by_similarity_not_recency() -> None:
    recent_unrelated = OpenText("a.py", "colour = paint(wall)\nbrush = 2\n")
    older_related = OpenText("b.py", "total = sum(prices)\ncount = len(prices)\n")
    parts = similar_parts([recent_unrelated, older_related],
                          {"total", "prices", "count", "len"}, 1000)
    assert [p.source for p in parts] == ["b.py:1-2"]


def test_everything_stays_within_the_budget() -> None:
    many = tuple(OpenText(f"f{i}.py", "fields = parse_header(data)\n" * 40, (3,))
                 for i in range(10))
    for budget in (0, 50, 200, 700, 3000):
        parts = choose("fields = parse_header(", others=many, budget=budget)
        assert sum(len(p.text) + len(p.source) + 9 for p in parts) <= budget
        assert len(render(parts)) <= budget + 3 * 80  # plus one heading per kind


def test_the_sent_parts_add_up_to_what_was_sent() -> None:
    parts = choose("fields = parse_header(")
    section = render(parts)
    messages = [{"role": "system", "content": "rules"},
                {"role": "user", "content": f"File: m.py\n{section}code"}]
    shown = sent_parts(messages, "pkg/main.py", section, parts)
    assert [(p["kind"], p["source"]) for p in shown["parts"]] == [
        ("instructions", "iskra-ls"), ("code", "pkg/main.py"),
        ("definition", "pkg/headers.py:4")]
    assert shown["parts"][1]["text"] == "File: m.py\ncode"
    assert shown["totalChars"] == sum(len(m["content"]) for m in messages)


def test_an_edit_far_down_a_long_document_shows_its_own_lines() -> None:
    text = "\n".join(f"row_{i} = {i}" for i in range(20_000))
    parts = choose("x = 1", others=(OpenText("big.py", text, edited_lines=(15_000,)),))
    assert parts[0].kind == "edited" and "row_15000 = 15000" in parts[0].text


def test_names_are_the_same_words_in_ascii_and_in_other_text() -> None:
    """ASCII text takes the faster pattern; the words found must not change by it."""
    from iskra_ls.completion.needed_definitions import IDENTIFIER, names_in

    ascii_code = "def parse_header(data, strict=True):\n    return _x1 + 2abc"
    assert names_in(ascii_code) == IDENTIFIER.findall(ascii_code)
    mixed = ascii_code + "  # größe = données_2"
    assert names_in(mixed) == IDENTIFIER.findall(mixed)
    assert "größe" in names_in(mixed)


def test_a_window_is_chosen_by_its_jaccard_over_identifiers() -> None:
    """The postings give each window the Jaccard of a set per window: checked against
    that plain computation on real modules of the standard library."""
    import json.decoder
    import json.encoder
    from pathlib import Path

    from iskra_ls.completion.related import SIMILAR_WINDOW_LINES, _windows, identifiers, names_in

    modules = (json.decoder, json.encoder)
    texts = [Path(m.__file__ or "").read_text(encoding="utf-8") for m in modules]
    for text in texts:
        lines = text.splitlines()
        step = SIMILAR_WINDOW_LINES // 2
        windows = [(start, {n for line in lines[start:start + SIMILAR_WINDOW_LINES]
                            for n in names_in(line)})
                   for start in range(0, max(len(lines) - step, 1), step)]
        for other in texts:
            for cut in range(0, len(other), 1500):
                cursor = identifiers(other[cut:cut + 1500])
                expected = (0.0, 0)
                for start, names in windows:
                    common = len(names & cursor)
                    score = common / (len(names) + len(cursor) - common)
                    if score > expected[0]:
                        expected = (score, start)
                assert _windows(text).most_similar(cursor) == expected


UTILS = [Definition("Parser", "class", "/w/pkg/utils.py", 0, "class Parser:"),
         Definition("feed", "method", "/w/pkg/utils.py", 2, "def feed(self, data):"),
         Definition("collapse_value", "function", "/w/pkg/utils.py", 9,
                    "def collapse_value(value, errors='replace'):", "Collapse an RFC 2231 value."),
         Definition("format_datetime", "function", "/w/pkg/utils.py", 20,
                    "def format_datetime(dt, usegmt=False):")]


def modules(name: str) -> list[Definition]:
    return UTILS if name == "utils" else []


def test_after_an_imported_module_and_a_dot_its_definitions_come_first() -> None:
    """``utils.`` at the cursor: the name to come is not typed yet, so the names around
    the cursor cannot bring it; the module the file imports under that name can. Its
    top-level definitions come first, its classes' members after them."""
    prefix = "from pkg import utils\n\n\ndef f(v):\n    x = parse_header(v)\n    return utils."
    parts = choose_parts(prefix=prefix, suffix="\n", own_path="/w/pkg/main.py", lookup=lookup,
                         label=label, language_of=lambda _p: "python", others=(), budget=2000,
                         imports=("pkg", "utils"), modules=modules)
    sources = [p.source for p in parts]
    assert sources[:4] == ["pkg/utils.py:1", "pkg/utils.py:10", "pkg/utils.py:21",
                           "pkg/utils.py:3"]
    assert "pkg/headers.py:4" in sources  # the names around the cursor still come
    typed = choose_parts(prefix=prefix + "coll", suffix="\n", own_path="/w/pkg/main.py",
                         lookup=lookup, label=label, language_of=lambda _p: "python",
                         others=(), budget=2000, imports=("pkg", "utils"), modules=modules)
    assert typed[0].source == "pkg/utils.py:1" and len(typed) == len(parts)


def test_a_variable_named_like_a_module_brings_nothing_of_it() -> None:
    prefix = "def f(utils):\n    return utils."
    parts = choose_parts(prefix=prefix, suffix="\n", own_path="/w/pkg/main.py", lookup=lookup,
                         label=label, language_of=lambda _p: "python", others=(), budget=2000,
                         imports=(), modules=modules)
    assert parts == []


def test_a_module_s_names_the_file_already_uses_come_first() -> None:
    """A big module (``logging.``) has more definitions than the budget holds: those the
    file already uses from it (``logging.getLogger`` further up) come first."""
    big = [Definition(f"helper_{i}", "function", "/w/pkg/utils.py", i * 3,
                      f"def helper_{i}(first_argument, second_argument, third_argument):")
           for i in range(40)]
    used = Definition("getLogger", "function", "/w/pkg/utils.py", 200, "def getLogger(name=None):")

    def big_module(name: str) -> list[Definition]:
        return [*big, used] if name == "utils" else []

    prefix = ("from pkg import utils\n\nlog = utils.getLogger(__name__)\n" + "x = 1\n" * 150
              + "def f():\n    return utils.")
    parts = choose_parts(prefix=prefix, suffix="\n", own_path="/w/pkg/main.py", lookup=lookup,
                         label=label, language_of=lambda _p: "python", others=(), budget=2000,
                         imports=("pkg", "utils"), modules=big_module)
    assert parts[0].source == "pkg/utils.py:201"
