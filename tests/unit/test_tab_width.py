"""Indentation measured in columns where a file mixes tabs and spaces (issue 18.1).

GNU style (libstdc++, GCC, Emacs' default) indents by 2 columns and writes every run of
8 columns as a tab: ``  ``, ``    ``, ``      ``, ``\\t``, ``\\t  ``... Read as one level
per tab, such a file's right answers were re-indented into wrong text (9 of the ground
truth's 25 wrong). The tab width comes from the document; both sides are tested: the
answer written as in the file is kept, an answer in the model's own step is converted
in columns, tabs where the file puts them.
"""

from __future__ import annotations

import pytest

from iskra_ls.completion.context import build_context
from iskra_ls.completion.postprocess import postprocess

CURSOR = "█"

GNU = (
    "namespace std\n"
    "{\n"
    "  template<typename _Tp>\n"
    "    void\n"
    "    vector<_Tp>::_M_fill(size_type __n)\n"
    "    {\n"
    "      if (__n > capacity())\n"
    "\t{\n"
    "\t  vector __tmp(__n);\n"
    "\t  __tmp._M_impl._M_swap_data(this->_M_impl);\n"
    "\t}\n"
    "      else if (__n > size())\n"
    "\t{\n"
    "\t  std::fill(begin(), end(), __val);\n"
    "\t  if (__add)\n"
    "\t    this->_M_impl._M_finish = __add;\n"
    "\t}\n"
    "      else\n"
    "        _M_erase_at_end(this->_M_impl._M_start);\n"
    "    }\n"
    "\n"
    "  template<typename _Tp>\n"
    "    void\n"
    "    vector<_Tp>::_M_check(size_type __n)\n"
    "    {\n"
    "      █\n"
    "    }\n"
    "}\n"
)


def shown(doc: str, raw: str, language_id: str = "cpp") -> str | None:
    offset = doc.index(CURSOR)
    ctx = build_context(doc.replace(CURSOR, "", 1), offset, language_id=language_id,
                        path=f"file.{language_id}")
    suggestion = postprocess(raw, ctx)
    return None if suggestion is None else suggestion.text


@pytest.mark.parametrize(
    ("doc", "unit_columns", "tab_width"),
    [
        pytest.param(GNU, 2, 8, id="gnu-two-columns-tab-eight"),
        pytest.param("int f()\n{\n\tif (a) {\n\t\tb();\n\t}\n}\n", 4, 0, id="tabs-are-levels"),
        pytest.param("int f()\n{\n    if (a) {\n        b();\n    }\n}\n", 4, 0, id="spaces-only"),
        # A tab that stands for one 4-column level beside 4-space lines: 4 fits, 8 does not.
        pytest.param("int f()\n{\n\tif (a) {\n        b();\n\t\tif (c) {\n            d();\n\t\t}\n"
                     "\t}\n}\n",
                     4, 4, id="mixed-tab-four"),
    ],
)
def test_the_tab_width_comes_from_the_document(doc: str, unit_columns: int,
                                               tab_width: int) -> None:
    from iskra_ls.completion.indentation import indent_style  # new with the tab width

    style = indent_style(doc.replace(CURSOR, ""))
    assert style is not None
    assert (style.unit_columns, style.tab_width) == (unit_columns, tab_width)


GNU_ANSWERS = [
    # As in the file: tabs for 8 columns, then spaces (regex_automaton.tcc).
    pytest.param("if (__n > max_size())\n\t__throw_length_error(__N(\"vector\"));\n"
                 "      return __n;", id="tab-for-eight-columns"),
    pytest.param("if (__it._M_has_alt())\n\t{\n\t  while (__it._M_alt >= 0\n"
                 "\t\t && __it._M_next)\n\t    __it._M_alt = 0;\n\t}", id="tab-plus-spaces"),
    # The file itself writes 8 columns as spaces on some lines (vector.tcc): the same column.
    pytest.param("if (__n + 1 != end())\n        std::copy(__n + 1, end(), __n);\n"
                 "      return __n;", id="eight-spaces-is-a-tab-column"),
]


@pytest.mark.parametrize("raw", GNU_ANSWERS)
def test_a_gnu_style_block_is_shown_as_written(raw: str) -> None:
    assert shown(GNU, raw) == raw


def test_a_model_step_in_a_gnu_file_is_converted_in_columns() -> None:
    """A 4-space answer written from column 0 lands one 2-column level deeper, written
    as the file writes that column (a tab for 8)."""
    raw = "if (__n > max_size())\n    __throw();\nreturn __n;"
    assert shown(GNU, raw) == "if (__n > max_size())\n\t__throw();\n      return __n;"


def test_tabs_in_an_answer_for_a_spaces_file_are_still_converted() -> None:
    doc = "int f()\n{\n    if (a) {\n        b();\n    }\n    █\n}\n"
    assert shown(doc, "if (c) {\n\t\td();\n\t}") == "if (c) {\n        d();\n    }"


MAKEFILE = (
    "cflags-y\t\t+= -mabi=64\n"
    "\n"
    "vmlinux: $(OBJS)\n"
    "\t$(LD) -o $@ $^\n"
    "\t$(OBJCOPY) $@ $@.bin\n"
    "\n"
    "boot: vmlinux\n"
    "\t$(Q)$(MAKE) $(build)=$(boot) $@\n"
    "\t$(Q)$(MAKE) $(build)=$(boot) $@.gz\n"
    "\n"
    "define archhelp\n"
    " █\n"
    "endef\n"
)


@pytest.mark.parametrize(
    "raw",
    [
        # linux arch/ia64/Makefile: a define's lines are indented by spaces.
        pytest.param(" echo '* compressed\t- Build compressed kernel image'\n"
                     "  echo '  install\t- Install compressed kernel image'", id="define-body"),
    ],
)
def test_a_makefiles_spaces_are_kept_as_written(raw: str) -> None:
    """In a Makefile a tab starts a recipe and spaces do not: an answer's spaces are
    syntax, never converted to the recipe's tabs."""
    assert shown(MAKEFILE, raw, "makefile") == raw


def test_a_makefiles_nested_conditionals_keep_their_spaces() -> None:
    doc = MAKEFILE.replace("define archhelp\n █\nendef\n", "ifdef CONFIG_64BIT█\nendif\n")
    raw = "\n  ifndef KBUILD_RA\n    cflags-y += -DKBUILD_RA\n  endif"
    assert shown(doc, raw, "makefile") == raw


def test_a_spaces_file_with_a_few_tab_lines_is_written_in_spaces() -> None:
    """Perl's Carp.pm: 4-space code with a few lines indented by tabs. The tabs are
    measured as 8 columns, and a deep line is still written as the file mostly writes
    it, in spaces (GNU writes those columns as tabs)."""
    from iskra_ls.completion.indentation import indent_style  # new with the tab width

    doc = ("sub f {\n    my $x = shift;\n    if ($x) {\n        return 1;\n"
           "        if ($y) {\n            return 2;\n        }\n    }\n"
           "\tmy $z = 1;\n    return 0;\n}\n")
    style = indent_style(doc)
    assert style is not None
    assert (style.unit_columns, style.tab_width) == (4, 8)
    assert style.render(20) == " " * 20
    gnu = indent_style(GNU)
    assert gnu is not None and gnu.render(20) == "\t\t    "


PLAYBOOK = "- hosts: all\n  gather_facts: false\n  █\n"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # ansible playbook.yml: a key 4 columns right of its dash is in the dash's item's
        # mapping; 2 columns right would make it the item's own key.
        pytest.param("tasks:\n    - debug:\n        msg: hi\n\n    - name: refresh",
                     "tasks:\n    - debug:\n        msg: hi\n\n    - name: refresh",
                     id="as-in-file"),
        # Written from column 0, the block moves as a whole: its steps stay.
        pytest.param("tasks:\n  - debug:\n      msg: hi",
                     "tasks:\n    - debug:\n        msg: hi", id="from-column-0-moves-whole"),
    ],
)
def test_yaml_steps_are_kept(raw: str, expected: str) -> None:
    assert shown(PLAYBOOK, raw, "yaml") == expected
