"""The message splitter: nothing lost, every part within the limit, no Markdown span broken."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communitybot.text_split import MIN_LIMIT, inline_spans, split_text

CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)


def words(text: str) -> list[str]:
    """The text without whitespace and without Markdown markers, as one string per run."""
    return re.sub(r"\s+|\*\*|```\w*|`", "", text)


def balanced(part: str) -> bool:
    """Even ``` fences, and outside code blocks even ** and ` markers."""
    if part.count("```") % 2:
        return False
    outside = CODE_BLOCK.sub("", part)
    return outside.count("**") % 2 == 0 and outside.count("`") % 2 == 0


def test_a_text_that_fits_comes_back_untouched() -> None:
    assert split_text("**hi**\n\n  there  ", 100) == ["**hi**\n\n  there  "]


def test_lines_are_kept_whole_and_in_order() -> None:
    lines = [f"• line {n:03} of the help text" for n in range(200)]
    parts = split_text("\n".join(lines), 2000)
    assert all(len(part) <= 2000 for part in parts)
    assert "\n".join(parts).split("\n") == lines


def test_a_long_line_is_cut_between_words() -> None:
    line = " ".join(f"word{n}" for n in range(1000))
    parts = split_text(line, 200)
    assert all(len(part) <= 200 for part in parts)
    assert " ".join(parts) == line


def test_a_bold_phrase_is_not_cut_when_a_boundary_outside_it_fits() -> None:
    text = "x " * 40 + "**a bold phrase here**" + " y" * 40
    parts = split_text(text, 90)
    assert any("**a bold phrase here**" in part for part in parts)
    assert all(balanced(part) for part in parts)


def test_a_span_longer_than_a_part_is_closed_and_reopened() -> None:
    text = "**" + " ".join(["bold"] * 100) + "**"
    parts = split_text(text, 100)
    assert len(parts) > 1
    assert all(len(p) <= 100 and p.startswith("**") and p.endswith("**") for p in parts)


def test_a_code_block_cut_in_two_is_closed_and_reopened_with_its_language() -> None:
    code = "\n".join(f"print({n})" for n in range(300))
    parts = split_text(f"Here:\n```python\n{code}\n```\nDone.", 500)
    assert all(len(part) <= 500 for part in parts)
    assert all(balanced(part) for part in parts)
    assert all(part.startswith("```python\n") for part in parts[1:-1])
    printed = [line for part in parts for line in part.split("\n") if line.startswith("print")]
    assert printed == code.split("\n")
    assert parts[-1].endswith("Done.")


def test_a_word_longer_than_a_part_is_cut_hard() -> None:
    url = "https://example.org/" + "a" * 500
    parts = split_text(f"see {url} now", 100)
    assert all(len(part) <= 100 for part in parts)
    assert words("\n".join(parts)) == words(f"see {url} now")


def test_inline_code_hides_markers() -> None:
    spans = inline_spans("`a ** b` and **c**")
    assert [(s.marker, s.start) for s in spans] == [("`", 0), ("**", 13)]


def test_the_limit_must_leave_room_for_fences() -> None:
    with pytest.raises(ValueError):
        split_text("x" * 100, MIN_LIMIT - 1)


# -- properties ------------------------------------------------------------------------------

plain_word = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc"), blacklist_characters="*`_~|"),
    min_size=1,
    max_size=30,
)
space = st.sampled_from([" ", "  ", "\n", "\n\n", " \n"])


@st.composite
def markdown_texts(draw: st.DrawFn) -> str:
    """Texts built from balanced pieces: words, **bold**, `code`, ``` blocks, spaces, lines."""
    pieces: list[str] = []
    for _ in range(draw(st.integers(1, 80))):
        kind = draw(st.sampled_from(["word", "word", "word", "bold", "code", "block", "long"]))
        if kind == "word":
            pieces.append(draw(plain_word))
        elif kind == "bold":
            inner = draw(st.lists(plain_word, min_size=1, max_size=12))
            pieces.append("**" + " ".join(inner) + "**")
        elif kind == "code":
            pieces.append("`" + draw(plain_word) + "`")
        elif kind == "block":
            body = draw(st.lists(plain_word, min_size=1, max_size=40))
            language = draw(st.sampled_from(["", "python", "txt"]))
            pieces.append(f"\n```{language}\n" + "\n".join(body) + "\n```\n")
        else:
            pieces.append(draw(st.text(alphabet="ab", min_size=100, max_size=400)))
        pieces.append(draw(space))
    return "".join(pieces)


@settings(max_examples=150, deadline=None)
@given(text=markdown_texts(), limit=st.integers(MIN_LIMIT, 600))
def test_parts_fit_keep_everything_and_balance_markdown(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(len(part) <= limit for part in parts)
    assert words("\n".join(parts)) == words(text)
    assert all(balanced(part) for part in parts)
    assert all(part.strip() for part in parts) or parts == [text]


@settings(max_examples=150, deadline=None)
@given(text=st.text(min_size=0, max_size=3000), limit=st.integers(MIN_LIMIT, 500))
def test_any_text_is_kept_whole_within_the_limit(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(len(part) <= limit for part in parts)
    strip = re.compile(r"\s")
    joined = "".join(parts)
    if not any(marker in text for marker in "`*|_~"):
        assert strip.sub("", joined) == strip.sub("", text)
    assert len(strip.sub("", joined)) >= len(strip.sub("", text))
