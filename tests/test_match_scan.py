"""The term scanner's speed tricks find exactly what the plain way finds.

``TermSet.finditer_fields`` scans title and summary in one pass; it must give the hits of two
separate scans. Start literals let a ``re:`` term be tried only where it can begin; that must
give the matches of ``finditer``.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.match import _values, build_topic, engine, preset
from monitor.match.money import extract_amounts, extract_amounts_fields
from monitor.match.termset import (
    _CJK_RE,
    Term,
    TermSet,
    _boundary_safe,
    _regex_matches,
    _start_literals,
    _starts_after_non_letter,
    term_source,
)
from monitor.match.text import _FOLD_TABLE, fold, nfkc, printable
from monitor.match.topic import _after_pattern
from monitor.types import Event, Match, Reason

OPENAI = preset("openai-funding-revenue")
JOIN = " | "

# words and pieces that sit at the edges of terms: apostrophes, hyphens, gaps, CJK, amounts
WORDS = [
    "openai", "chatgpt", "maker", "the", "company", "raises", "raise", "invest", "investit", "l'investimento",
    "in", "dans", "$", "6.6", "billion", "sells", "shares", "of", "stock", "d'", "'s", "-", "se", "rapproche",
    "valued", "at", "last", "valuation", "verkauft", "aktien", "loses", "so", "much", "money", "前", "估值",
    "开发chatgpt的公司", "rival", "makes", "a", "month", "revenue", "run-rate", ",", ".", ";", "'", "2.", "x",
]


def separately(ts: TermSet, first: str, second: str) -> list[tuple[int, int, str, str]]:
    off = len(first) + len(JOIN)
    hits = ts.finditer(first) + [(a + off, b + off, t) for a, b, t in ts.finditer(second)]
    return [(a, b, t.role, t.text) for a, b, t in hits]


def together(ts: TermSet, first: str, second: str) -> list[tuple[int, int, str, str]]:
    hits, n = ts.finditer_fields(first, second, JOIN)
    assert n == len(ts.finditer(first))
    return [(a, b, t.role, t.text) for a, b, t in hits]


def plainly(ts: TermSet, text: str) -> list[tuple[int, int, str, str]]:
    """The hits the simple way: every pattern run over the whole text behind its prefilter."""
    out = []
    for m in ts.latin.finditer(" " + text) if ts.latin else ():
        out += [(m.start(), m.end() - 1, t) for t in ts._lookup(text[m.start():m.end() - 1])]
    for m in ts.cjk.finditer(text) if ts.cjk and _CJK_RE.search(text) else ():
        out += [(m.start(), m.end(), t) for t in ts._lookup(m.group())]
    for lits, rx, index, _ in ts.grouped:
        if lits is None or any(x in text for x in lits):
            out += [(m.start(), m.end(), index[m.lastindex]) for m in rx.finditer(text) if m.end() > m.start()]
    for word_lead, rx, index in ts.gap_groups:
        if word_lead in " " + text:
            out += [(m.start(), m.end(), index[m.lastindex]) for m in rx.finditer(text)
                    if not (m.start() and text[m.start() - 1].isalnum())]
    for lead, rx, t in ts.inner:
        if lead in text:
            out += [(m.start(), m.end(), t) for m in rx.finditer(text) if m.start() and text[m.start() - 1].isalpha()]
    out.sort(key=lambda h: (h[0], h[0] - h[1]))
    return [(a, b, t.role, t.text) for a, b, t in out]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS), max_size=30))
def test_the_scan_finds_what_each_pattern_finds_alone(words: list[str]) -> None:
    text = " ".join(words)
    for ts in (OPENAI.compiled.scan, OPENAI.compiled.names, OPENAI.compiled.other, OPENAI.compiled.status):
        assert [(a, b, t.role, t.text) for a, b, t in ts.finditer(text)] == plainly(ts, text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS), max_size=30), st.integers(min_value=0), st.sampled_from(["", " ", "'"]))
def test_one_pass_over_both_fields_finds_what_two_passes_find(words: list[str], cut: int, glue: str) -> None:
    text = " ".join(words)
    cut = cut % (len(text) + 1)
    first, second = text[:cut] + glue, text[cut:]
    for ts in (OPENAI.compiled.scan, OPENAI.compiled.names, OPENAI.compiled.other):
        assert together(ts, first, second) == separately(ts, first, second)


def test_a_word_start_condition_is_read_per_field() -> None:
    # "invest* $ in >" is tried only when some word of the field starts with "inves": the title's
    # "investire" must not let the summary's "l'investimento ... in" count
    scan = OPENAI.compiled.scan
    title = "nvidia pronta a investire fino a 100 miliardi di dollari in openai"
    summary = "l'investimento sara scaglionato man mano che entreranno in funzione i nuovi data"
    assert together(scan, title, summary) == separately(scan, title, summary)
    assert together(scan, summary, title) == separately(scan, summary, title)


def test_patterns_that_read_the_text_edges_are_scanned_field_by_field() -> None:
    topic = build_topic({"name": "t", "aliases": ["Acme"], "vocabulary": {"funding": ["re:^raises", r"re:fund\s"]}})
    scan = topic.compiled.scan
    assert not scan.joinable
    assert together(scan, "acme raises", "raises fund") == separately(scan, "acme raises", "raises fund")
    assert together(scan, "acme fund", "x") == separately(scan, "acme fund", "x")


@pytest.mark.parametrize(("pattern", "safe"), [
    (r"(?<![a-z])rais\w* money(?![a-z])", True),
    (r"invest(?:[^.;!?]|\.(?=\d)){1,40}?in", True),
    (r"\braise\b", True),
    (r"^raise", False),
    (r"raise$", False),
    (r"raise(?=\s)", False),
    (r"(?<=[^a-z])raise", False),
    (r"raise(?! money)", False),
])
def test_boundary_safety(pattern: str, safe: bool) -> None:
    assert _boundary_safe(pattern) is safe


@pytest.mark.parametrize(("pattern", "after_non_letter"), [
    (r"(?<![a-z])rais\w* money", True),
    (r"(?<![0-9a-z])rais", True),
    (r"(?<![a-y])rais", False),
    (r"(?<!a)rais", False),
    (r"rais(?<![a-z]x)", False),
    (r"(?<=[^a-z])rais", False),
])
def test_starts_after_non_letter(pattern: str, after_non_letter: bool) -> None:
    assert _starts_after_non_letter(pattern) is after_non_letter


@pytest.mark.parametrize(("pattern", "literals"), [
    (r"(?<![a-z])(?:sell|sells|sold|offload\w*) (?:\w+ ){0,5}?shares", ("offload", "sell ", "sells ", "sold ")),
    (r"chatgpt-(?:maker|bedrijf)", ("chatgpt-",)),
    (r"(?<![目之])前", ("前",)),
    (r"\w+ raises", None),
    (r"(?:a|b)?raise", None),
    (r"(?i)raise", None),
])
def test_start_literals(pattern: str, literals: tuple[str, ...] | None) -> None:
    assert _start_literals(pattern) == literals


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="sel odhar-.'x", max_size=60))
def test_trying_a_pattern_only_at_its_start_literals_finds_every_match(text: str) -> None:
    rx = re.compile(r"(?<![a-z])(?:(sell|sold)(?: \w+){0,2}? shares)|(hold\w* ?(?:shares|x))")
    starts = re.compile("|".join(_start_literals(rx.pattern) or ()))
    expected = [(m.span(), m.lastindex) for m in rx.finditer(text)]
    assert [(m.span(), m.lastindex) for m in _regex_matches(rx, starts, text)] == expected


def test_quick_constructors_make_the_ordinary_objects() -> None:
    r = _values.reason("topic:funding", "title", "OpenAI raises $6.6B")
    assert r == Reason("topic:funding", "title", "OpenAI raises $6.6B") and type(r) is Reason
    e = _values.event("funding", 6.6e9, "USD", None, "completed", {"kinds": ["funding"]})
    assert e == Event("funding", 6.6e9, "USD", None, "completed", {"kinds": ["funding"]})
    assert e.to_dict() == Event("funding", 6.6e9, "USD", None, "completed", {"kinds": ["funding"]}).to_dict()
    m = _values.match(True, "t", 0.9, (r,), e)
    assert m == Match(True, "t", 0.9, (r,), e) and m.to_dict() == Match(True, "t", 0.9, (r,), e).to_dict()
    with pytest.raises(AttributeError):
        r.rule = "x"  # type: ignore[misc]  # still frozen


AMOUNT_PIECES = ["$", "us$", "c$", "6", "6.6", "1,000", "billion", "milliards", "mrd.", "zehn", "un", "milliarden",
                 "de", "dolares", "€", "亿", "美元", "x", "mille", "tausend", ",", ".", " ", "|", "k"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(AMOUNT_PIECES), max_size=12), st.integers(min_value=0))
def test_amounts_of_both_fields_in_one_pass(pieces: list[str], cut: int) -> None:
    text = "".join(pieces)
    cut = cut % (len(text) + 1)
    first, second = text[:cut], text[cut:]
    head = extract_amounts(first, vague=False)
    expected = head + extract_amounts(second, vague=False, offset=len(first) + 3)
    assert extract_amounts_fields(first, second, " | ") == (expected, len(head))


# ------------------------------------------------------------------ cheaper forms of the same tests

AFTER_SRCS = [r"\s+rivals(?![0-9a-z])", r"\s+rival(?![0-9a-z])", r"'s\s+former", r"\-compatible(?![0-9a-z])",
              r"\s+ex\-", r"\s+to\s+buy(?![0-9a-z])", "前员工", r"'s (?:\w+ ){0,2}(?:rivals?|former)(?![a-z])"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t'-srivalformecptbuyx前员工", max_size=40))
def test_alternatives_sharing_their_leading_spaces_match_as_the_plain_alternation(text: str) -> None:
    shared = _after_pattern(AFTER_SRCS)
    plain = re.compile("(?:" + "|".join(AFTER_SRCS) + ")")
    assert shared.pattern.startswith(r"(?:\s+(?:")
    for i in range(len(text) + 1):
        a, b = shared.match(text, i), plain.match(text, i)
        assert (a and a.group()) == (b and b.group())


def test_leading_spaces_are_shared_only_when_that_changes_no_match() -> None:
    assert OPENAI.compiled.after.pattern.startswith(r"(?:\s+(?:")
    for srcs in ([r"\s+rival", r"\s\w+ fund"], [r"\s+rival", r"\s+x", r"(?:a|b)"], [r"\s+rival", r"\s+(fund)"]):
        assert _after_pattern(srcs).pattern == "(?:" + "|".join(srcs) + ")"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS + ["sam", "altman", "オープンai", "阿尔特曼", "open", "ai"]), max_size=12))
def test_name_literals_are_found_where_their_alternation_is(words: list[str]) -> None:
    names = OPENAI.compiled.name_filter
    assert names is not None
    alternation = re.compile("|".join(map(re.escape, names.all)))
    for text in ("".join(words), " ".join(words)):
        assert names.found_in(text) is (alternation.search(text) is not None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["startup", "start-up", "firm", "firma", "lab", "labs", "xlab", "company", "a", " ",
                                 ",", "-", "s", "é"]), max_size=10), st.integers(min_value=0), st.integers(min_value=0))
def test_another_subject_is_the_first_whole_word(words: list[str], pos: int, endpos: int) -> None:
    text = "".join(words)
    pos, endpos = pos % (len(text) + 1), endpos % (len(text) + 1)
    m = re.compile("(?<![a-z])" + engine._OTHER_SUBJECT.pattern).search(text, pos, endpos)
    assert engine._other_subject(text, pos, endpos) == (m.start() if m else None)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aAzZ 'ÉéÀçøłİ\u2019\u201c\u2014\u00a0資億萬开x", max_size=30))
def test_fold_replaces_what_the_table_translates(text: str) -> None:
    expected = text.lower() if text.isascii() else text.replace("\u0130", "I").lower().translate(_FOLD_TABLE)
    assert fold(text) == expected


@pytest.mark.parametrize("title", ["Open AI raises money", "OpenAI and OPEN-AI", "reopen AI talks", "Open Air", "open ai",
                                   "Ope", "xOpen AI"])
def test_case_sensitive_aliases_are_replaced_where_the_hint_allows(title: str) -> None:
    c = OPENAI.compiled
    assert c.cased is not None and c.cased_hint is not None
    plain = c.cased.sub(lambda m: c.canonical if not (m.start() and m.string[m.start() - 1].isalnum()) else m.group(),
                        title)
    assert engine._prepare(title, OPENAI)[0] == plain


@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=40) | st.text(max_size=40))
@settings(max_examples=500)
def test_printable_is_str_isprintable(s: str) -> None:
    assert printable(s) is s.isprintable()


def test_printable_every_ascii_character() -> None:
    for c in map(chr, range(0x80)):
        assert printable(c) is c.isprintable() and printable("ab" + c + "cd") is ("ab" + c + "cd").isprintable()


NFKC_PIECES = ["…", "\u00a0", "\u202f", "\u2009", "e", "\u0301", "\u0327", "é", "ﬁ", "Ａ", "½", "가", "\u1100", "\u1161",
               "ｶ", "\uff9e", "⁵", ".", " ", "x", "\u0323", "\u0307", "Å", "Ω", "ſ", "\u0345"]


@given(st.lists(st.sampled_from(NFKC_PIECES), max_size=12).map("".join) | st.text(max_size=30))
@settings(max_examples=1500)
def test_nfkc_is_unicodedata_nfkc(s: str) -> None:
    import unicodedata

    assert nfkc(s) == unicodedata.normalize("NFKC", s)


@pytest.mark.parametrize(("term", "text", "found"), [
    ("burn* cash", "openai burned cash last year", "burned cash"),
    ("burn* through cash", "it burns through cash", "burns through cash"),
    ("invest* in >", "microsoft invests in openai", "invests in"),
    ("burn* cash", "sunburned cash", None),          # starts at a word start only
    ("burn* cash", "burned cashier", None),          # and ends at a word end
])
def test_a_star_inside_a_term_matches_any_ending(term: str, text: str, found: str | None) -> None:
    """"burn* cash" is a term like "burn*": before, the prefix tree could not name its hits and dropped them."""
    ts = TermSet([Term("cue", "loss", term)], [term_source(term)[0]])
    hits = [text[a:b] for a, b, _ in ts.finditer(text)]
    assert hits == ([found] if found else [])
