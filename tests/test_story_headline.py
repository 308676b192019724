"""Which source speaks for a story in a digest, and which event it shows (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.stories.headline import Member, best_member, fullest_event
from monitor.types import Event

T0 = datetime(2025, 6, 11, 5, 0, tzinfo=UTC)
ROUND = Event(kind="funding", amount=8.2e9, currency="USD", valuation=210e9, status="done")


def m(title: str, minutes: int = 0, order: int = 0, *, lang: str = "en", event: Event | None = None,
      dated: bool = True) -> Member:
    return Member(title=title, published=T0 + timedelta(minutes=minutes) if dated else None, order=order,
                  event=event, lang=lang)


def test_a_headline_stating_the_figures_wins_over_an_earlier_one_without() -> None:
    members = [m("OpenAI closes its new funding round", 0, 1),
               m("OpenAI closes $8.2 billion round at $210 billion valuation", 30, 2)]
    assert best_member(members, ROUND) == 1


def test_more_of_the_figures_wins() -> None:
    members = [m("OpenAI raises $8.2 billion", 0, 1), m("OpenAI raises $8.2 billion at a $210 billion valuation", 30, 2)]
    assert best_member(members, ROUND) == 1


def test_an_outlets_own_headline_wins_over_a_wire_copy() -> None:
    members = [m("NEW YORK (Reuters) - OpenAI closes $8.2 billion round at $210 billion valuation", 0, 1),
               m("OpenAI closes $8.2 billion round at $210 billion valuation - Yahoo Finance", 5, 2),
               m("OpenAI closes $8.2 billion round at a $210 billion valuation", 20, 3)]
    assert best_member(members, ROUND) == 2


def test_then_the_language_most_sources_use_then_the_earliest() -> None:
    members = [m("OpenAI lève 8,2 milliards de dollars, valorisée 210 milliards", 0, 1, lang="fr"),
               m("OpenAI raises $8.2 billion at a $210 billion valuation", 40, 2),
               m("OpenAI raises $8.2bn at a $210bn valuation", 20, 3),
               m("OpenAI closes its round", 10, 4)]
    assert best_member(members, ROUND) == 2
    undated = [m("OpenAI raises $8.2bn at a $210bn valuation", 0, 1, dated=False),
               m("OpenAI raises $8.2 billion at a $210 billion valuation", 40, 2)]
    assert best_member(undated, ROUND) == 1


def test_without_an_event_the_earliest_untagged_source_speaks() -> None:
    members = [m("BREAKING: OpenAI closes round", 0, 1), m("OpenAI closes round", 10, 2), m("OpenAI round closed", 20, 3)]
    assert best_member(members, None) == 1


def test_the_most_complete_event_of_the_storys_kind_is_shown() -> None:
    thin = Event(kind="funding", amount=8.2e9, currency="USD")
    other_kind = Event(kind="revenue", amount=13e9, currency="USD", valuation=1.0, status="done")
    members = [m("a", 0, 1, event=thin), m("b", 10, 2, event=other_kind), m("c", 20, 3, event=ROUND)]
    assert fullest_event(members, thin) == ROUND
    assert fullest_event([m("a", 0, 1)], thin) == thin          # no member event: the stored one
    assert fullest_event([], None) is None
    same = Event(kind="funding", amount=8.2e9, currency="USD", valuation=210e9, status="done", extra={"n": 2})
    tie = [m("a", 0, 1, event=ROUND), m("b", 10, 2, event=same)]
    assert fullest_event(tie, thin, best=1).extra == {"n": 2}   # the best source's own on a tie
    assert fullest_event(tie, thin).extra == {}                 # else the earliest
