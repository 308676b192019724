"""Stories: pairwise decisions, batch clustering, assignment to stored stories, the JSONL CLI.

The articles below are written for these tests (facts loosely modelled on public events);
they are not taken from the evaluation set.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import ConfigError
from monitor.stories import (
    StoryFeatures,
    assign_story,
    cli_cluster_jsonl,
    cluster_items,
    decide,
    explain,
    same_story,
    story_features,
)
from monitor.stories.lexicon import status_in
from monitor.stories.money import close_amounts, extract_figures
from monitor.stories.text import fold, strip_wire_tags
from monitor.types import Article, Event, Match


def art(title: str, summary: str = "", *, when: str | None = None, lang: str = "en", link: str | None = None,
        source: str = "Wire") -> Article:
    published = datetime.fromisoformat(when).astimezone(UTC) if when else None
    return Article(title=title, summary=summary, link=link, published=published, source=source, lang=lang)


def feat(a: Article, event: Event | None = None) -> StoryFeatures:
    match = Match(matched=True, topic="openai-funding-revenue", score=1.0, event=event) if event else None
    return story_features(a, match)


# ---- one closed round, many languages -------------------------------------------------------------

ROUND_EN = art("OpenAI seals $40 billion funding deal, valued at $300 billion",
               "SoftBank supplies most of the cash in the largest private raise on record.",
               when="2025-03-31T22:00:00+00:00", link="https://wire.example/openai-seals-40bn?utm_source=rss")
ROUND_FR = art("OpenAI boucle une levée de 40 milliards de dollars et vaut désormais 300 milliards",
               "Le japonais SoftBank apporte l'essentiel des fonds.", when="2025-04-01T08:10:00+02:00", lang="fr")
ROUND_DE = art("OpenAI sammelt 40 Milliarden Dollar ein – Bewertung steigt auf 300 Milliarden",
               "Größter Geldgeber ist Softbank.", when="2025-04-01T09:00:00+02:00", lang="de")
ROUND_JA = art("オープンAI、400億ドルの資金調達を完了　企業価値は3000億ドルに",
               "ソフトバンクグループが大半を出資する。", when="2025-04-01T10:30:00+09:00", lang="ja")
ROUND_WIRE = art("NEW YORK (Reuters) - OpenAI seals $40 billion funding deal, valued at $300 billion.",
                 "SoftBank supplies most of the cash in the largest private raise on record.",
                 when="2025-04-01T01:00:00+00:00", source="Yahoo Finance")
ROUND_AMP = art("OpenAI seals $40 billion funding deal, valued at $300 billion", "",
                when="2025-03-31T22:00:00+00:00", link="https://m.wire.example/amp/openai-seals-40bn/")
ROUND_ANALYSIS = art("What a $300 billion price tag means for OpenAI's early backers",
                     "Analysts weigh the paper gains of the investors after Monday's announcement.",
                     when="2025-04-01T15:00:00+00:00")

# ---- other events on the same topic ----------------------------------------------------------------

TALKS = art("OpenAI in talks to raise up to $40 billion at a $300 billion valuation, sources say",
            "Negotiations are at an early stage and terms could change.", when="2025-03-26T18:00:00+00:00")
CREDIT_NEXT_DAY = art("OpenAI lines up $4 billion revolving credit facility from banks",
                      "The loan adds to the cash raised in the equity round.", when="2025-04-02T12:00:00+00:00")
NEW_FACT = art("OpenAI tells backers to steer clear of competing AI labs",
               "Investors in the latest round were asked not to fund rival developers.",
               when="2025-04-01T02:00:00+00:00")
TRANCHE_LATER = art("OpenAI collects $8.3 billion tranche of its $40 billion round",
                    "A second group of investors joined.", when="2025-08-01T12:00:00+00:00")
REVENUE_13 = art("OpenAI's annualized revenue reaches $13 billion", "Subscriptions drive growth.",
                 when="2025-08-20T12:00:00+00:00")
REVENUE_15 = art("OpenAI's annualized revenue reaches $15 billion", "Enterprise deals drive growth.",
                 when="2025-08-27T12:00:00+00:00")
REVENUE_13_FR = art("Le chiffre d'affaires annualisé d'OpenAI atteint 13 milliards de dollars",
                    "Les abonnements tirent la croissance.", when="2025-08-21T07:00:00+02:00", lang="fr")
SHARES_66 = art("OpenAI staff to sell $6.6 billion of stock in secondary share sale",
                "Existing investors buy the shares from employees.", when="2025-10-02T12:00:00+00:00")
ROUND_66 = art("OpenAI raises $6.6 billion in new funding round", "A venture firm leads the deal.",
               when="2025-10-03T12:00:00+00:00")
LOSS_JULY = art("OpenAI may lose $5 billion this year, analysis finds", "Compute costs dwarf sales.",
                when="2024-07-20T12:00:00+00:00")
LOSS_SEPT = art("OpenAI expects $5 billion loss, investor documents show", "Sales near $3.7 billion.",
                when="2024-09-25T12:00:00+00:00")
MSFT_EN = art("Microsoft deepens OpenAI bet with multibillion-dollar investment",
              "The software company did not disclose the size of the commitment.",
              when="2023-01-23T14:00:00+00:00")
MSFT_FR = art("Microsoft annonce un investissement de plusieurs milliards dans OpenAI",
              "Le groupe de Redmond prolonge son partenariat.", when="2023-01-23T18:00:00+01:00", lang="fr")
MSFT_TALKS = art("Microsoft in talks to put $10 billion into OpenAI",
                 "The discussions would value the startup at $29 billion.", when="2023-01-10T09:00:00+00:00")

TENDER_EN = art("Thrive to buy $2 billion of OpenAI employee stock in tender offer", "",
                when="2024-03-05T10:00:00+00:00")
TENDER_ZH = art("Thrive将以要约收购方式购入OpenAI员工持有的20亿美元股票", "", when="2024-03-06T09:00:00+08:00",
                lang="zh")
BURN_EN = art("OpenAI projects $60 billion cash burn through 2028", "", when="2025-05-02T10:00:00+00:00")
BURN_DE = art("OpenAI rechnet bis 2028 mit einem Mittelabfluss von 60 Milliarden Dollar", "",
              when="2025-05-02T16:00:00+00:00", lang="de")

SAME = [
    ("tender offer en/zh (purchase wording)", TENDER_EN, TENDER_ZH),
    ("cash-burn projection to the same year, en/de", BURN_EN, BURN_DE),
    ("en/fr round", ROUND_EN, ROUND_FR),
    ("en/de round", ROUND_EN, ROUND_DE),
    ("en/ja round", ROUND_EN, ROUND_JA),
    ("fr/ja round", ROUND_FR, ROUND_JA),
    ("syndicated copy with dateline", ROUND_EN, ROUND_WIRE),
    ("amp + mobile url variant", ROUND_EN, ROUND_AMP),
    ("analysis adding no new fact", ROUND_EN, ROUND_ANALYSIS),
    ("revenue en/fr", REVENUE_13, REVENUE_13_FR),
    ("no figures, same parties, same day", MSFT_EN, MSFT_FR),
]
DIFFERENT = [
    ("talks vs close", TALKS, ROUND_EN),
    ("talks vs close, other language", TALKS, ROUND_FR),
    ("round vs credit line next day", ROUND_EN, CREDIT_NEXT_DAY),
    ("same round, new fact", ROUND_EN, NEW_FACT),
    ("tranche months later", ROUND_EN, TRANCHE_LATER),
    ("successive milestones", REVENUE_13, REVENUE_15),
    ("successive milestones, other language", REVENUE_13_FR, REVENUE_15),
    ("same figure, different kind", SHARES_66, ROUND_66),
    ("same figure, different report", LOSS_JULY, LOSS_SEPT),
    ("talks vs announcement", MSFT_TALKS, MSFT_EN),
]


@pytest.mark.parametrize(("name", "a", "b"), SAME, ids=[s[0] for s in SAME])
def test_same_story(name: str, a: Article, b: Article) -> None:
    fa, fb = feat(a), feat(b)
    assert same_story(fa, fb), explain(fa, fb)
    assert same_story(fb, fa)


@pytest.mark.parametrize(("name", "a", "b"), DIFFERENT, ids=[d[0] for d in DIFFERENT])
def test_different_story(name: str, a: Article, b: Article) -> None:
    fa, fb = feat(a), feat(b)
    assert not same_story(fa, fb), explain(fa, fb)
    assert not same_story(fb, fa)


def test_decisions_explain_themselves() -> None:
    assert explain(feat(ROUND_EN), feat(ROUND_AMP)).rule == "same canonical url"
    v = explain(feat(TALKS), feat(ROUND_EN))
    assert not v.same and v.hard and "talks" in v.rule
    v = explain(feat(REVENUE_13), feat(REVENUE_15))
    assert not v.same and v.hard and "figures" in v.rule


def test_undated_cross_language_copies_still_match_on_figures() -> None:
    a = art("OpenAI seals $40 billion funding deal, valued at $300 billion")
    b = art("OpenAI boucle une levée de 40 milliards de dollars et vaut désormais 300 milliards", lang="fr")
    assert same_story(feat(a), feat(b))
    assert not same_story(feat(art("OpenAI's annualized revenue reaches $13 billion")),
                          feat(art("OpenAI's annualized revenue reaches $15 billion")))


def test_matcher_event_supplies_missing_figures() -> None:
    vague = art("ChatGPT maker closes record round", "Details in the filing.", when="2025-03-31T23:00:00+00:00")
    with_event = feat(vague, Event(kind="funding", amount=40e9, currency="USD", valuation=300e9, status="completed"))
    assert with_event.lead and with_event.status == "done"
    assert same_story(with_event, feat(ROUND_EN))
    # an event from an article the matcher rejected is background, not the article's fact
    rejected = story_features(vague, Match(matched=False, topic="t", score=0.1,
                                           event=Event(kind="valuation", valuation=300e9)))
    assert rejected.lead == ()


def test_a_figure_only_in_the_summary_needs_more_than_the_same_kind() -> None:
    """A headline without a figure is about something else than the round its summary recalls:
    one common figure and the kind of that background are not enough; a common party is."""
    event = Event(kind="funding", amount=8.2e9, currency="USD")
    closes = art("OpenAI closes $8.2 billion funding round", "The round values the company at $210 billion.",
                 when="2025-06-11T18:00:00+00:00")
    new_fact = art("OpenAI asks its backers to stay away from rival labs",
                   "Investors in its $8.2 billion funding round were told so.", when="2025-06-12T08:00:00+00:00")
    assert not same_story(feat(new_fact, event), feat(closes, event))
    crowd = art("Thrive-led OpenAI round draws a crowd of new investors",
                "Thrive Capital led the $8.2 billion funding round.", when="2025-06-12T08:00:00+00:00")
    led = art("OpenAI closes $8.2 billion funding round led by Thrive Capital", when="2025-06-11T18:00:00+00:00")
    assert same_story(feat(crowd, event), feat(led, event))


# ---- money figures ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "lang", "values"),
    [
        ("raises $6.6B at a $157B valuation", "en", [6.6e9, 157e9]),
        ("lève 6,6 milliards de dollars, valorisation de 157 milliards", "fr", [6.6e9, 157e9]),
        ("recauda 6.600 millones de dólares y vale 157.000 millones", "es", [6.6e9, 157e9]),
        ("erhält Kreditlinie über vier Milliarden Dollar", "de", [4e9]),
        ("sammelt 6,6 Mrd. USD ein", "de", [6.6e9]),
        ("pourrait atteindre 100 Md$", "fr", [100e9]),
        ("superior a 100 mil milhões de dólares", "pt", [100e9]),
        ("chega a US$ 10 bi", "pt", [10e9]),
        ("valoración de hasta un billón de dólares", "es", [1e12]),
        ("完成66亿美元融资，估值达1570亿美元", "zh", [6.6e9, 157e9]),
        ("最大400億ドルを出資", "ja", [40e9]),
        ("could need $5 trillion to $7 trillion", "en", [5e12, 7e12]),
        ("priced at $20 a month; 800 million weekly users", "en", []),
        ("revenue of $3.7 billion and 250 million subscribers", "en", [3.7e9]),
        ("founded in 2015, it has 3,000 staff", "en", []),
    ],
)
def test_extract_figures(text: str, lang: str, values: list[float]) -> None:
    got = [f.value * (1 if (f.currency or "USD") == "USD" else 0) for f in extract_figures(fold(text), lang)]
    assert got == pytest.approx(values)


# issue 4: halves written in words, and hyphenated figures; "billion" after a German or French half
# word is 10^12 whatever the article's language tag
@pytest.mark.parametrize(
    ("text", "lang", "figures"),
    [
        ("the lab wants half a trillion dollars for chips", "en", [(5e11, "USD")]),
        ("a half-billion-dollar bet on robots", "en", [(5e8, "USD")]),
        ("the group plans a $250-billion buildout", "en", [(250e9, "USD")]),
        ("a 75-billion-dollar data-centre push", "en", [(75e9, "USD")]),
        ("a $1.2-trillion spending plan", "en", [(1.2e12, "USD")]),
        ("Rechenzentren für eine halbe Billion Dollar", "de", [(5e11, "USD")]),
        ("Rechenzentren für eine halbe Billion Dollar", None, [(5e11, "USD")]),
        ("mit einer halben Billion Euro bewertet", "de", [(5e11, "EUR")]),
        ("eine 80-Milliarden-Euro-Offensive der Regierung", "de", [(80e9, "EUR")]),
        ("sie holt 3 Milliarden Dollar, danach folgt eine 12-Milliarden-Runde", "de", [(3e9, "USD"), (12e9, "USD")]),
        ("centros de datos por medio billón de dólares", "es", [(5e11, "USD")]),
        ("un piano da mezzo trilione di dollari", "it", [(5e11, "USD")]),
        ("un fondo da due trilioni di dollari", "it", [(2e12, "USD")]),
        ("um plano de meio trilhão de dólares", "pt", [(5e11, "USD")]),
        ("capta meio bilhão de dólares", "pt", [(5e8, "USD")]),
        ("un plan d'un demi-billion de dollars", "fr", [(5e11, "USD")]),
        ("lève un demi-milliard d'euros", "fr", [(5e8, "EUR")]),
        ("haalt een half miljard euro op", "nl", [(5e8, "EUR")]),
        # not figures, or no more than before
        ("in the second half billions of dollars moved", "en", []),
        ("a phase 2-b trial and $3 billion in sales", "en", [(3e9, "USD")]),
        ("$4 billion-$6 billion", "en", [(4e9, "USD"), (6e9, "USD")]),
        ("it became a billion-dollar company", "en", []),
    ],
)
def test_extract_figures_halves_and_hyphens(text: str, lang: str | None, figures: list[tuple[float, str]]) -> None:
    got = [(f.value, f.currency) for f in extract_figures(fold(text), lang)]
    assert got == [(pytest.approx(v), c) for v, c in figures]


def test_close_amounts_rounding_rules() -> None:
    assert close_amounts(80e9, "USD", 86e9, "USD")          # round figure vs precise: rounding
    assert not close_amounts(150e9, "USD", 157e9, "USD")    # two precise figures 5% apart: different
    assert not close_amounts(2e9, "USD", 3.4e9, "USD")
    assert close_amounts(6e12, "JPY", 40e9, "USD")          # converted to yen
    assert not close_amounts(100e9, "USD", 100e9, "USD", "v", "a")  # a valuation is not an amount raised


# ---- features are stored as JSON --------------------------------------------------------------------

@pytest.mark.parametrize("a", [ROUND_EN, ROUND_JA, MSFT_FR, art(""), art("x", when="2025-01-01T00:00:00+00:00")])
def test_features_round_trip_through_json(a: Article) -> None:
    f = feat(a)
    again = StoryFeatures.from_dict(json.loads(json.dumps(f.to_dict())))
    assert again == f


def test_features_never_raise_on_odd_text() -> None:
    for title in ["", "   ", "$$$ 1e999 billion", "OpenAl engagÃ© Ã  lever 3 Md$", "\u202e\u200b", "9" * 500,
                  "1,2,3,4.5.6 milliards milliards de de dollars", "数十億ドル 兆円 亿"]:
        story_features(art(title, title), None)


# ---- batch clustering --------------------------------------------------------------------------------

POOL = [ROUND_EN, ROUND_FR, ROUND_DE, ROUND_JA, ROUND_WIRE, ROUND_AMP, ROUND_ANALYSIS, TALKS, CREDIT_NEXT_DAY,
        NEW_FACT, TRANCHE_LATER, REVENUE_13, REVENUE_15, REVENUE_13_FR, SHARES_66, ROUND_66, LOSS_JULY,
        LOSS_SEPT, MSFT_EN, MSFT_FR, MSFT_TALKS, ROUND_EN]
POOL_FEATURES = [feat(a) for a in POOL]


def partition(keys: list[str]) -> set[frozenset[int]]:
    groups: dict[str, set[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, set()).add(i)
    return {frozenset(g) for g in groups.values()}


def test_cluster_items_groups_stories() -> None:
    keys = cluster_items(POOL_FEATURES)
    assert len(keys) == len(POOL) and all(isinstance(k, str) and k for k in keys)
    same = lambda a, b: keys[POOL.index(a)] == keys[POOL.index(b)]  # noqa: E731
    for a in (ROUND_FR, ROUND_DE, ROUND_JA, ROUND_WIRE, ROUND_AMP, ROUND_ANALYSIS):
        assert same(ROUND_EN, a)
    for a in (TALKS, CREDIT_NEXT_DAY, NEW_FACT, TRANCHE_LATER):
        assert not same(ROUND_EN, a)
    assert same(REVENUE_13, REVENUE_13_FR) and not same(REVENUE_13, REVENUE_15)
    assert same(MSFT_EN, MSFT_FR) and not same(MSFT_EN, MSFT_TALKS)
    assert keys[0] == keys[-1]  # an exact duplicate


def test_cluster_items_is_deterministic_and_handles_empty() -> None:
    assert cluster_items([]) == []
    assert cluster_items(POOL_FEATURES) == cluster_items(list(POOL_FEATURES))
    assert len(set(cluster_items([feat(art("a"))] * 3))) == 1


@settings(max_examples=60, deadline=None)
@given(st.permutations(list(range(len(POOL_FEATURES)))))
def test_grouping_does_not_depend_on_input_order(perm: list[int]) -> None:
    base = cluster_items(POOL_FEATURES)
    shuffled = cluster_items([POOL_FEATURES[i] for i in perm])
    back = [""] * len(perm)
    for pos, i in enumerate(perm):
        back[i] = shuffled[pos]
    assert partition(back) == partition(base)
    assert back == base  # keys, too, depend only on the group


titles = st.text(alphabet=st.sampled_from(list("abc $0123456789.,BMmilliards OpenAI raises talks 億ドル")), max_size=60)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(titles, st.none() | st.integers(0, 40)), max_size=25))
def test_every_item_gets_a_key(items: list[tuple[str, int | None]]) -> None:
    feats = [feat(art(t, when=None if d is None else f"2025-01-{1 + d % 28:02d}T12:00:00+00:00")) for t, d in items]
    keys = cluster_items(feats)
    assert len(keys) == len(feats) and all(keys)


# ---- assignment to stored stories ----------------------------------------------------------------

def test_assign_story_joins_the_right_story_or_none() -> None:
    stored = [
        (7, [feat(TALKS)]),
        (9, [feat(ROUND_EN), feat(ROUND_FR)]),
        (12, [feat(REVENUE_13)]),
    ]
    assert assign_story(feat(ROUND_JA), stored) == 9
    assert assign_story(feat(REVENUE_13_FR), stored) == 12
    assert assign_story(feat(REVENUE_15), stored) is None
    assert assign_story(feat(CREDIT_NEXT_DAY), stored) is None
    assert assign_story(feat(ROUND_JA), []) is None


def test_assign_story_refuses_a_story_with_a_conflicting_member() -> None:
    # the newcomer matches one member but a hard difference separates it from another
    mixed = [(3, [feat(ROUND_EN), feat(TALKS)])]
    assert assign_story(feat(ROUND_FR), mixed) is None


# ---- CLI ---------------------------------------------------------------------------------------------

def _item(i: int, a: Article) -> dict[str, object]:
    return {"id": f"i{i}", "title": a.title, "summary": a.summary, "link": a.link,
            "published": a.published.isoformat() if a.published else None, "source": a.source, "lang": a.lang}


def test_cli_cluster_jsonl_writes_one_line_per_item() -> None:
    items = [_item(i, a) for i, a in enumerate([ROUND_EN, ROUND_FR, TALKS, REVENUE_13])]
    items[1]["published"] = "Tue, 01 Apr 2025 06:10:00 +0000"  # RFC 822 as feeds give it
    items[3]["published"] = "2025-08-20"                       # a date only
    out = io.StringIO()
    rc = cli_cluster_jsonl(io.StringIO("\n".join(json.dumps(i) for i in items) + "\n\n"), out, matcher=lambda a: None)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rc == 0 and [r["id"] for r in rows] == ["i0", "i1", "i2", "i3"]
    assert rows[0]["story"] == rows[1]["story"] != rows[2]["story"]
    assert all(r["story"] for r in rows)


def test_cli_cluster_jsonl_rejects_bad_lines() -> None:
    with pytest.raises(ConfigError, match="line 2"):
        cli_cluster_jsonl(io.StringIO('{"id": 1, "title": "x"}\nnot json\n'), io.StringIO(), matcher=lambda a: None)
    with pytest.raises(ConfigError, match="line 1"):
        cli_cluster_jsonl(io.StringIO("[1, 2]\n"), io.StringIO(), matcher=lambda a: None)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab xé-_.,1\t\u3042\u30a2\u4e00\uac00\uf900", max_size=40))
def test_gram_sets_are_word_trigrams_plus_cjk_bigrams(text):
    """grams(): trigrams of the words with CJK characters taken out (``_`` between words and at
    both ends), plus the bigrams (a lone character: itself) of every CJK run. The fast path for
    text without CJK must give exactly this."""
    import re as _re

    from monitor.stories.text import grams, is_cjk

    words = _re.sub(r"[^\w\u3040-\u30ff\u3400-\u9fff]+", " ", text).strip()
    expected: set[str] = set()
    for run in _re.findall("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]+", words):
        expected.update([run] if len(run) == 1 else (run[i:i + 2] for i in range(len(run) - 1)))
    latin = "".join(" " if is_cjk(c) else c for c in words).split()
    joined = "_" + "_".join(latin) + "_"
    if words and len(joined) > 2:
        expected.update(joined[i:i + 3] for i in range(len(joined) - 2))
    assert grams.__wrapped__(text) == frozenset(expected)


# ---- talks vs done beyond English, and figures that cannot contradict each other ------------------

@pytest.mark.parametrize(("text", "status"), [
    ("OpenAI ultima una ronda de 40.000 millones de dólares", "talks"),      # finalizing: not yet closed
    ("OpenAI cierra su última ronda de 40.000 millones", "done"),            # "última" = latest
    ("オープンAI、400億ドル調達へ", "talks"),                                 # "…へ": on its way
    ("オープンAI、ソフトバンクと出資受け入れで最終調整", "talks"),
    ("OpenAI即将完成400亿美元融资", "talks"),                                 # about to complete
    ("OpenAI完成400亿美元融资", "done"),
    ("OpenAI, la valutazione salirebbe a 300 miliardi", "talks"),            # Italian conditional
    ("OpenAI está a punto de cerrar la ronda", "talks"),
    ("OpenAI est sur le point de boucler sa levée", "talks"),
])
def test_status_in_other_languages(text: str, status: str) -> None:
    assert status_in(fold(text)) == status


ROUND_CLOSED = art("OpenAI closes $40 billion round led by SoftBank", "", when="2025-03-31T22:00:00+00:00")


@pytest.mark.parametrize("talks", [
    art("OpenAI即将完成由软银领投的400亿美元融资", "", when="2025-03-27T02:00:00+00:00", lang="zh"),
    art("オープンAI、ソフトバンク主導で400億ドル調達へ　最終調整", "", when="2025-03-27T03:00:00+00:00", lang="ja"),
    art("OpenAI ultima una ronda de 40.000 millones liderada por SoftBank", "", when="2025-03-27T08:00:00+00:00",
        lang="es"),
])
def test_talks_in_other_languages_stay_apart_from_the_close(talks: Article) -> None:
    verdict = explain(feat(talks), feat(ROUND_CLOSED))
    assert not verdict.same and verdict.rule == "talks vs done deal"


def test_an_amount_and_a_valuation_do_not_contradict_each_other() -> None:
    # one report leads with the amount raised, the other with the valuation it set: no figure
    # of one can be compared with the other's, so "different figures" (a hard no) does not apply
    raised = art("OpenAI raises $40 billion from SoftBank-led investors", "", when="2025-03-31T22:00:00+00:00")
    valued = art("OpenAI's valuation reaches $300 billion", "", when="2025-04-01T06:00:00+00:00")
    verdict = explain(feat(raised), feat(valued))
    assert verdict.rule != "different figures" and not verdict.hard
    # two amounts raised that differ still contradict each other
    other = art("OpenAI raises $6.6 billion from Thrive-led investors", "", when="2025-04-01T06:00:00+00:00")
    assert explain(feat(raised), feat(other)).rule == "different figures"


@pytest.mark.parametrize(("text", "status"), [
    ("Nvidia says its $100 billion OpenAI investment has not been finalized", "talks"),   # negated "done"
    ("OpenAI soll mit 300 Milliarden Dollar bewertet werden", "talks"),                     # German hearsay
])
def test_status_reads_negation_and_hearsay(text: str, status: str) -> None:
    assert status_in(fold(text)) == status


@pytest.mark.parametrize("title", [
    "オープンAI、企業価値1570億ドルに",          # folded to 企业価値 before it is read
    "OpenAIの評価額は1570億ドル",
    "Microsofts Anteil ist 157 Milliarden Dollar wert",
])
def test_valuations_in_japanese_and_german_word_order(title: str) -> None:
    lead = decide._prepare(feat(art(title, "", when="2025-03-31T22:00:00+00:00"))).lead
    assert [(round(v / 1e9), role) for v, _, role, _, _ in lead] == [(157, "v")]


def test_a_headline_clause_with_a_figure_is_not_an_outlet_credit() -> None:
    assert strip_wire_tags(fold("Microsoft erhält 27 Prozent an OpenAI – Anteil rund 135 Milliarden Dollar wert")) \
        .endswith("135 milliarden dollar wert")
    assert strip_wire_tags(fold("OpenAI raises $40 billion led by SoftBank - Reuters")) \
        == "openai raises $40 billion led by softbank"


def test_every_cjk_cue_is_found_in_folded_text() -> None:
    # the text is folded before it is read (traditional characters become simplified ones, also
    # in Japanese: 資金調達 is read as 资金調达), so each cue must be found in its own folded form
    from monitor.stories import lexicon

    patterns = [*lexicon._KINDS.values(), *lexicon._ENTITY_RX.values()]
    missed = [(word, rx.pattern[:30]) for rx in patterns
              for word in re.findall(r"[\u3040-\u30ff\u3400-\u9fff]+", rx.pattern)
              if not rx.search(fold(word))]
    assert missed == []
    assert lexicon.kinds_in(fold("オープンAI、400億ドルの資金調達を完了")) == {"equity"}
    assert lexicon.kinds_in(fold("ソフトバンクG、オープンAI社員の株式を取得へ")) == {"share_sale"}
    assert lexicon.entities_in(fold("英偉達將投資OpenAI")) == {"nvidia"}
