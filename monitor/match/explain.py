"""Human-readable explanation of a decision, for ``monitor explain``."""

from __future__ import annotations

from monitor.types import Match

__all__ = ["explain_text"]


def _amount(v: float | None, currency: str | None) -> str:
    if v is None:
        return "-"
    for div, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= div:
            return f"{v / div:.3g}{unit} {currency or ''}".strip()
    return f"{v:g} {currency or ''}".strip()


def explain_text(match: Match) -> str:
    """Several lines: the verdict, the event, then every reason (rule, field, words)."""
    verdict = "MATCH" if match.matched else "no match"
    lines = [f"{verdict} for topic {match.topic!r} (score {match.score:.2f})"]
    if match.event is not None:
        e = match.event
        parts = [f"kind={e.kind}", f"amount={_amount(e.amount, e.currency)}"]
        if e.valuation is not None:
            parts.append(f"valuation={_amount(e.valuation, e.currency)}")
        if e.status:
            parts.append(f"status={e.status}")
        lines.append("event: " + ", ".join(parts))
    else:
        lines.append("event: none")
    if match.reasons:
        lines.append("reasons:")
        width = max(len(r.rule) for r in match.reasons)
        for r in match.reasons:
            lines.append(f"  {r.rule:<{width}}  [{r.field}]  {r.snippet}")
    return "\n".join(lines)
