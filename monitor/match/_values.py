"""Quick constructors for the frozen result types the matcher builds. Contains no business logic.

A frozen dataclass sets each field in ``__init__`` through ``object.__setattr__``, a Python-level
call: about a microsecond for a ``Reason``, two for an ``Event``. The matcher builds a dozen of
them per article, so these functions set the slots directly. They make the same objects (same
class, same field values, no ``__post_init__`` to skip); ``tests/test_match_scan.py`` checks that
they equal the ordinary ones, and the checks below fail at import if a type changes shape.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from monitor.types import Event, Match, Reason

__all__ = ["event", "match", "reason"]


def _setters(cls: type, names: tuple[str, ...]) -> tuple[Any, ...]:
    assert tuple(f.name for f in fields(cls)) == names, f"{cls.__name__} changed: update monitor/match/_values.py"
    assert not hasattr(cls, "__post_init__") and getattr(cls, "__slots__", None) == names
    return tuple(cls.__dict__[name].__set__ for name in names)


_new = object.__new__
_REASON = _setters(Reason, ("rule", "field", "snippet"))
_EVENT = _setters(Event, ("kind", "amount", "currency", "valuation", "status", "extra"))
_MATCH = _setters(Match, ("matched", "topic", "score", "reasons", "event"))


def reason(rule: str, part: str, snippet: str) -> Reason:
    """``Reason(rule, part, snippet)``."""
    r = _new(Reason)
    set_rule, set_field, set_snippet = _REASON
    set_rule(r, rule)
    set_field(r, part)
    set_snippet(r, snippet)
    return r


def event(kind: str, amount: float | None, currency: str | None, valuation: float | None, status: str | None,
          extra: dict[str, Any]) -> Event:
    """``Event(kind, amount, currency, valuation, status, extra)``."""
    e = _new(Event)
    set_kind, set_amount, set_currency, set_valuation, set_status, set_extra = _EVENT
    set_kind(e, kind)
    set_amount(e, amount)
    set_currency(e, currency)
    set_valuation(e, valuation)
    set_status(e, status)
    set_extra(e, extra)
    return e


def match(matched: bool, topic: str, score: float, reasons: tuple[Reason, ...], ev: Event | None) -> Match:
    """``Match(matched, topic, score, reasons, ev)``."""
    m = _new(Match)
    set_matched, set_topic, set_score, set_reasons, set_event = _MATCH
    set_matched(m, matched)
    set_topic(m, topic)
    set_score(m, score)
    set_reasons(m, reasons)
    set_event(m, ev)
    return m
