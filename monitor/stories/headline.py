"""What a digest shows for a story: the headline of its best source and its most complete event.

A story keeps every member; which one speaks for it is chosen when the digest is built, so a better
source that joins later (one stating the figures, or an outlet's own headline after a wire copy)
takes over. Pure: no database, no clock.

The best source, in order: the one whose headline states more of the event's figures (amount,
valuation); then one whose headline is the outlet's own, not a wire copy with a dateline or tag
("NEW YORK (Reuters) -", "BREAKING:", "… - Reuters"); then one in the language most of the story's
sources use (the language its readers most likely follow); then the earliest published (undated
last); then the first stored. The event is the most complete one among the members reporting the story's kind of event
(amount, valuation, currency and status known), the best source's own on a tie, then the earliest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.stories.money import close_amounts, extract_figures
from monitor.stories.text import fold, strip_wire_tags
from monitor.types import Event

__all__ = ["Member", "best_member", "fullest_event"]


@dataclass(frozen=True, slots=True)
class Member:
    """One source of a story, as the digest sees it. ``order`` is its storage order (article id)."""

    title: str
    published: datetime | None
    order: int
    event: Event | None = None
    lang: str | None = None


def best_member(members: Sequence[Member], event: Event | None) -> int:
    """The index in ``members`` of the source whose headline speaks for the story (see the module
    docstring). ``members`` must not be empty."""
    langs = Counter(m.lang for m in members)

    def key(i: int) -> tuple[int, int, int, float, int]:
        m = members[i]
        when = m.published.timestamp() if m.published else float("inf")
        return (-_figures_stated(m, event), int(_is_tagged_copy(m.title)), -langs[m.lang], when, m.order)

    return min(range(len(members)), key=key)


def fullest_event(members: Sequence[Member], stored: Event | None, best: int | None = None) -> Event | None:
    """The most complete event among the members of ``stored``'s kind (any kind when ``stored`` is
    None): most of amount, valuation, currency and status known; ``members[best]``'s own on a
    tie, then the earliest. ``stored`` itself when no member has one."""
    kind = stored.kind if stored else None
    found = [(i, m.event) for i, m in enumerate(members)
             if m.event is not None and (kind is None or m.event.kind == kind)]
    if not found:
        return stored

    def key(item: tuple[int, Event]) -> tuple[int, int, float, int]:
        i, e = item
        m = members[i]
        when = m.published.timestamp() if m.published else float("inf")
        return (-_completeness(e), i != best, when, m.order)

    return min(found, key=key)[1]


def _completeness(e: Event) -> int:
    return sum(v is not None for v in (e.amount, e.valuation, e.currency, e.status))


def _figures_stated(m: Member, event: Event | None) -> int:
    """How many of the event's figures (amount, valuation) the headline states."""
    if event is None or (event.amount is None and event.valuation is None):
        return 0
    figures = extract_figures(fold(m.title), m.lang)
    wanted = [(v, role) for v, role in ((event.amount, "a"), (event.valuation, "v")) if v is not None]
    return sum(any(close_amounts(v, event.currency, f.value, f.currency, role, f.role) for f in figures)
               for v, role in wanted)


def _is_tagged_copy(title: str) -> bool:
    """A headline carrying a wire dateline or tag, or an outlet credit: someone else's copy."""
    folded = fold(title)
    return strip_wire_tags(folded) != folded.strip()
