"""clean_text's fast paths against its plain definition: every pass applied in order, always."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import normalize as n


def reference(value: str, max_chars: int = 0) -> str:
    """The definition, without the shortcuts (each pass runs whether or not it can change anything)."""
    if not value:
        return ""
    text = n._TAG.sub(" ", n._strip_raw_text(value))
    if "&" in text:   # markup that was entity-encoded is stripped after decoding (only then)
        text = n._TAG.sub(" ", html.unescape(text))
    text = n._ANSI.sub("", text)
    text = n._LINE_BREAKS.sub(" ", text)
    text = n._CONTROL.sub("", text)
    text = n._cap_combining(text)
    text = re.sub(r"\s+", " ", text).strip()
    return n._truncate(text, max_chars) if max_chars and len(text) > max_chars else text


PIECES = ["<", ">", "&", "amp;", "<script>", "</script>", "<STYLE>", "</style>", "<b>", "&lt;i&gt;", "&#10;",
          "&#x1b;", "\x1b[31m", "\x1b]0;t\x07", "\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028",
          "\u2029", "\x00", "\x7f", "\x9f", "\xad", "\u200b", "\u202e", "\ufeff", "\xa0", "\u3000", " ", "  ",
          "a", "Zé", "e\u0301\u0301\u0301", "\ud800", "\U000e0001", "word"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=14), st.sampled_from([0, 1, 5, 40]))
def test_fast_paths_change_nothing(parts: list[str], max_chars: int) -> None:
    value = "".join(parts)
    assert n.clean_text(value, max_chars=max_chars) == reference(value, max_chars)


def test_whitespace_and_markup() -> None:
    assert n.clean_text("<<>>") == "< >"
    assert n.clean_text("  <p>OpenAI\n\n raises</p>&nbsp;$6.6B\u2028now ") == "OpenAI raises $6.6B now"
    assert n.clean_text("a\x00b\u202ec<script>x</script>d") == "a bc d"
