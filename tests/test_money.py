"""Money amounts in local formats, and the text normalization they rely on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.match.money import extract_amounts, parse_number
from monitor.match.text import clean, fold, is_caption, sentence_spans


def amounts(text: str) -> list[tuple[float, str | None]]:
    return [(a.value, a.currency) for a in extract_amounts(fold(clean(text))) if not a.vague]


@pytest.mark.parametrize(("text", "value", "currency"), [
    ("raised $6.6B", 6.6e9, "USD"),
    ("a $300 B valuation", 300e9, "USD"),
    ("$1.25 billion", 1.25e9, "USD"),
    ("$40bn", 40e9, "USD"),
    ("$500m", 500e6, "USD"),
    ("$1 TRILLION", 1e12, "USD"),
    ("€15 million", 15e6, "EUR"),
    ("6,6 milliards de dollars", 6.6e9, "USD"),
    ("1,7 milliard d'euros", 1.7e9, "EUR"),
    ("157 Md$", 157e9, "USD"),
    ("7 000 milliards de dollars", 7e12, "USD"),
    ("6,6 Mrd. US-Dollar", 6.6e9, "USD"),
    ("500 Mrd. Dollar", 500e9, "USD"),
    ("zehn Milliarden Dollar", 10e9, "USD"),
    ("6.600 millones de dólares", 6.6e9, "USD"),
    ("un billón de dólares", 1e12, "USD"),
    ("3,4 miliardi di dollari", 3.4e9, "USD"),
    ("US$ 6,6 bilhões", 6.6e9, "USD"),
    ("US$ 2 bi", 2e9, "USD"),
    ("100 mil milhões de dólares", 100e9, "USD"),
    ("R$ 5 bilhões", 5e9, "BRL"),
    ("6,6 miljard dollar", 6.6e9, "USD"),
    ("66億ドル", 6.6e9, "USD"),
    ("66亿美元", 6.6e9, "USD"),
    ("約2300億円", 230e9, "JPY"),
    ("4.8兆円", 4.8e12, "JPY"),
    ("1,000億美元", 100e9, "USD"),
    ("₹399 a month", 399, "INR"),
])
def test_amount_formats(text: str, value: float, currency: str) -> None:
    found = amounts(text)
    assert found, text
    assert found[0][0] == pytest.approx(value)
    assert found[0][1] == currency


# issue 4: halves written in words, hyphenated figures; "billion" after a German or French half word
# is 10^12 (the matcher has no language: a plain "billion" stays 10^9)
@pytest.mark.parametrize(("text", "value", "currency"), [
    ("the lab wants half a trillion dollars for chips", 5e11, "USD"),
    ("a half billion dollars", 5e8, "USD"),
    ("a half-billion-dollar bet on robots", 5e8, "USD"),
    ("the group plans a $250-billion buildout", 250e9, "USD"),
    ("a 75-billion-dollar data-centre push", 75e9, "USD"),
    ("a $1.2-trillion spending plan", 1.2e12, "USD"),
    ("a $9-bn loan", 9e9, "USD"),
    ("two-billion-dollar deal", 2e9, "USD"),
    ("Rechenzentren für eine halbe Billion Dollar", 5e11, "USD"),
    ("mit einer halben Billion Euro bewertet", 5e11, "EUR"),
    ("eine 80-Milliarden-Euro-Offensive der Regierung", 80e9, "EUR"),
    ("eine 12-Milliarden-Runde", 12e9, None),
    ("centros de datos por medio billón de dólares", 5e11, "USD"),
    ("un piano da mezzo trilione di dollari", 5e11, "USD"),
    ("un fondo da due trilioni di dollari", 2e12, "USD"),
    ("um plano de meio trilhão de dólares", 5e11, "USD"),
    ("capta meio bilhão de reais", 5e8, "BRL"),
    ("recebe um bilhão de dólares", 1e9, "USD"),
    ("un plan d'un demi-billion de dollars", 5e11, "USD"),
    ("lève un demi-milliard d'euros", 5e8, "EUR"),
    ("haalt een half miljard euro op", 5e8, "EUR"),
])
def test_amounts_in_halves_and_hyphenated(text: str, value: float, currency: str | None) -> None:
    assert amounts(text) == [(pytest.approx(value), currency)]


@pytest.mark.parametrize(("text", "expected"), [
    ("in the second half billions of dollars moved", []),
    ("a phase 2-b trial", []),
    ("the 10-K filing", []),
    ("a 3-year plan", []),
    ("$4 billion-$6 billion", [(4e9, "USD"), (6e9, "USD")]),
    ("it became a billion-dollar company", [(1e9, None)]),  # read as before: no currency from the adjective
])
def test_halves_and_hyphens_read_nothing_more(text: str, expected: list[tuple[float, str | None]]) -> None:
    assert amounts(text) == [(pytest.approx(v), c) for v, c in expected]


def test_scale_without_currency_is_kept_without_currency() -> None:
    assert amounts("ya vale 157.000 millones") == [(pytest.approx(157e9), None)]


@pytest.mark.parametrize("text", ["in 2024", "grew 40%", "GPT-4o", "version 3.5", "10 gigawatts", "Q3 2025"])
def test_bare_numbers_are_not_money(text: str) -> None:
    assert amounts(text) == []


def test_year_before_amount_is_not_merged() -> None:
    assert amounts("in 2024 300 million dollars") == [(pytest.approx(300e6), "USD")]


def test_ranges_give_both_ends() -> None:
    assert amounts("$27B-$29B") == [(pytest.approx(27e9), "USD"), (pytest.approx(29e9), "USD")]


def test_vague_magnitudes() -> None:
    found = extract_amounts(fold("plusieurs milliards de dollars"))
    assert found and found[0].vague
    assert not any(a.vague for a in extract_amounts(fold("6,6 milliards de dollars")))


@pytest.mark.parametrize(("s", "value"), [
    ("6.6", 6.6), ("6,6", 6.6), ("1.000", 1000), ("157.000", 157000), ("1 000", 1000), ("10,300.5", 10300.5),
    ("10.300,5", 10300.5), ("1,250", 1250), ("42", 42),
])
def test_parse_number(s: str, value: float) -> None:
    assert parse_number(s) == pytest.approx(value)


@given(st.text(max_size=200))
def test_extract_never_raises(s: str) -> None:
    for a in extract_amounts(fold(clean(s))):
        assert a.value >= 0 and a.start <= a.end


# ------------------------------------------------------------------ text normalization

def test_clean_strips_markup_entities_and_format_chars() -> None:
    assert clean("<p>OpenAI&#8217;s\u200b round&nbsp;closes</p>") == "OpenAI’s round closes"


def test_clean_repairs_mojibake() -> None:
    assert clean("la sociÃ©tÃ© a brÃ»lÃ© 2,5 milliards") == "la société a brûlé 2,5 milliards"
    assert clean("ChatGPTâ€™s app") == "ChatGPT’s app"


def test_clean_drops_page_furniture_and_joins_words() -> None:
    assert clean("Losses\ncould\nreach\n$5\nbillion\nShare on Facebook") == "Losses could reach $5 billion"


def test_fold_keeps_length_and_removes_accents() -> None:
    for s in ("Valorisée à 157 Md$", "Börsengang", "ＯｐｅｎＡＩ", "İstanbul", "融資額"):
        c = clean(s)
        assert len(fold(c)) == len(c)
    assert fold(clean("Valorisée")) == "valorisee"
    assert fold(clean("ＯｐｅｎＡＩ")) == "openai"
    assert fold("融資") == "融资"


def test_sentences_and_captions() -> None:
    text = "OpenAI raises $6.6B. The round was led by Thrive; Microsoft joined. 同社の売上高は。次"
    parts = [text[a:b].strip() for a, b in sentence_spans(text)]
    assert parts[0] == "OpenAI raises $6.6B."
    assert "$6.6B" in parts[0] and len(parts) == 5
    assert is_caption("Sam Altman at an event in Berlin. Photo: dpa")
    assert not is_caption("OpenAI raises $6.6 billion")
