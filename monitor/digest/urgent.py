"""Pure: does a story's event qualify for an urgent alert (sent at once, not at digest time)?"""

from __future__ import annotations

from typing import Any

from monitor.types import Event

# Rough conversion to US dollars for ``min_amount_usd`` (an order-of-magnitude threshold, not
# accounting): amounts in a currency not listed here never pass a ``min_amount_usd`` condition.
APPROX_USD = {"USD": 1.0, "EUR": 1.1, "GBP": 1.27, "CHF": 1.1, "CAD": 0.73, "AUD": 0.66, "JPY": 0.0067,
              "CNY": 0.14, "INR": 0.012, "KRW": 0.00073, "SGD": 0.74, "HKD": 0.128}


def amount_usd(event: Event) -> float | None:
    if event.amount is None:
        return None
    rate = APPROX_USD.get((event.currency or "USD").upper())
    return None if rate is None else float(event.amount) * rate


def is_urgent(event: Event | None, rule: Any) -> bool:
    """True when every condition of ``rule`` (``kinds``, ``status``, ``min_amount_usd``) holds.
    A rule without conditions selects every story; a story without an event passes none."""
    conditions = bool(rule.kinds or rule.status or rule.min_amount_usd is not None)
    if not conditions:
        return True
    if event is None:
        return False
    if rule.kinds and event.kind not in rule.kinds:
        return False
    if rule.status and (event.status or "") not in rule.status:
        return False
    if rule.min_amount_usd is not None:
        usd = amount_usd(event)
        if usd is None or usd < rule.min_amount_usd:
            return False
    return True
