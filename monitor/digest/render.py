"""Pure renderers: :class:`~monitor.types.Digest` -> what each sink sends.

All feed text is untrusted. It was cleaned at the edge (no markup, no control or bidi
characters); here it is escaped for each output: Slack's ``& < >`` (so ``<!channel>`` or
``<https://evil|label>`` in a title render literally), HTML entities for e-mail, and one-line
subjects. Links are only ever built from http(s) URLs.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

from monitor.normalize import safe_http_url
from monitor.types import Digest, DigestStory, Event

SLACK_MAX_BLOCKS = 45          # Slack allows 50; keep a margin
SLACK_MAX_SECTION = 2900       # 3,000 after escaping
SLACK_MAX_HEADER = 150
SLACK_MAX_MESSAGE_TEXT = 10_000
SLACK_MAX_FALLBACK = 3_000
SUBJECT_MAX = 200

_KIND_LABEL = {
    "funding": "Funding", "valuation": "Valuation", "revenue": "Revenue", "loss": "Loss",
    "share_sale": "Share sale", "credit": "Credit line", "ipo": "IPO", "investment": "Investment",
    "financials": "Financials",
}
_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹"}


# ---- facts -----------------------------------------------------------------------------------


def format_money(amount: float | None, currency: str | None) -> str:
    """``6.6e9, "USD"`` -> ``$6.6B``."""
    if amount is None:
        return ""
    value, suffix = float(amount), ""
    for div, s in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= div:
            value, suffix = value / div, s
            break
    num = f"{value:,.1f}".rstrip("0").rstrip(".") + suffix
    cur = (currency or "").upper()
    if cur in _SYMBOL:
        return f"{_SYMBOL[cur]}{num}"
    return f"{num} {cur}".strip()


def format_event(event: Event | None) -> str:
    """One line of facts: ``Funding · $6.6B · valuation $157B · completed``."""
    if event is None:
        return ""
    parts = [_KIND_LABEL.get(event.kind, event.kind.replace("_", " ").capitalize())]
    if event.amount is not None:
        parts.append(format_money(event.amount, event.currency))
    if event.valuation is not None:
        parts.append("valuation " + format_money(event.valuation, event.currency or "USD"))
    if event.status:
        parts.append({"talks": "in talks", "reported": "reported"}.get(event.status, event.status))
    return " · ".join(p for p in parts if p)


def _sources_line(story: DigestStory) -> str:
    outlets = []
    for s in story.sources:
        name = s.source or "unknown outlet"
        outlets.append(f"{name} ({s.lang})" if s.lang else name)
    return ", ".join(dict.fromkeys(outlets))


def count_line(name: str, digest: Digest) -> str:
    """``daily: 3 stories``; with stories left unlisted, ``daily: 120 stories (50 listed)``."""
    n = digest.total
    line = f"{name}: {n} stor{'y' if n == 1 else 'ies'}"
    return line + (f" ({len(digest.stories)} listed)" if digest.omitted else "")


def omitted_lines(digest: Digest) -> list[str]:
    """What a capped digest says about the stories it does not list (:mod:`monitor.digest.cap`)."""
    lines = []
    if digest.omitted:
        n = digest.omitted
        lines.append(f"…and {n} more stor{'y' if n == 1 else 'ies'} not listed: this digest lists the "
                     f"{len(digest.stories)} reported by the most sources (max_stories).")
    if digest.omitted_coverage:
        n = digest.omitted_coverage
        lines.append(f"…and new sources for {n} more stor{'y' if n == 1 else 'ies'} sent before, not listed.")
    return lines


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


# ---- JSON (generic webhook) ------------------------------------------------------------------


def render_json(digest: Digest, now: datetime) -> dict[str, Any]:
    """The generic webhook payload of DESIGN.md, plus ``more_coverage`` when the digest has some:
    stories the receiver got before, in the same form, each with only the sources that joined
    since."""
    payload: dict[str, Any] = {
        "type": "digest",
        "id": digest.id,
        "digest": digest.name,
        "sent_at": now.isoformat(),
        "stories": [_json_story(st) for st in digest.stories],
    }
    if digest.coverage:
        payload["more_coverage"] = [_json_story(st) for st in digest.coverage]
    return payload


def _json_story(st: DigestStory) -> dict[str, Any]:
    return {"id": st.id, "title": st.title, "url": st.url, "topic": st.topic,
            "event": st.event.to_dict() if st.event else None,
            "sources": [s.to_dict() for s in st.sources]}


def json_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


# ---- Slack -----------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: str | None, label: str) -> str:
    """``<url|label>`` for http(s) URLs, else the escaped label alone."""
    safe = safe_http_url(url)
    text = slack_escape(label).replace("|", "¦")
    if not safe:
        return text
    return f"<{quote(safe, safe=':/?#[]@!$&()*+,;=%~.-_')}|{text}>"


def _cap(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _joined_links(head: str, links: list[str], budget: int) -> str:
    """``head``, then whole links joined by `` · `` within ``budget`` characters, then ``…and N
    more``: a link is never cut (half of ``<url|label>`` would show as raw markup)."""
    out = head
    for i, link in enumerate(links):
        sep = " · " if i else ""
        rest = len(links) - i - 1
        reserve = len(f" · …and {rest} more") if rest else 0
        if len(out) + len(sep) + len(link) + reserve > budget:
            return out + sep + f"…and {len(links) - i} more"
        out += sep + link
    return out


def _slack_story_blocks(story: DigestStory) -> list[dict[str, Any]]:
    title = _cap(story.title or "(untitled)", 300)
    lines = [f"*{slack_link(story.url, title)}*"]
    facts = format_event(story.event)
    if facts:
        lines.append(slack_escape(facts))
    section = {"type": "section", "text": {"type": "mrkdwn", "verbatim": True,
                                            "text": _cap("\n".join(lines), SLACK_MAX_SECTION)}}
    links = []
    for s in story.sources:
        label = f"{s.source or 'source'}" + (f" ({s.lang})" if s.lang else "")
        links.append(slack_link(s.url, _cap(label, 80)))
    ctx_text = _joined_links(f"{len(story.sources)} source{'s' if len(story.sources) != 1 else ''}: ", links,
                             SLACK_MAX_SECTION)
    context = {"type": "context", "elements": [{"type": "mrkdwn", "verbatim": True, "text": ctx_text}]}
    return [section, context, {"type": "divider"}]


def _slack_coverage_blocks(story: DigestStory) -> list[dict[str, Any]]:
    """One context line: the story (already sent) and the sources that joined it since."""
    links = [slack_link(s.url, _cap(f"{s.source or 'source'}" + (f" ({s.lang})" if s.lang else ""), 80))
             for s in story.sources]
    text = _joined_links(f"{slack_link(story.url, _cap(story.title or '(untitled)', 200))}: ", links, SLACK_MAX_SECTION)
    return [{"type": "context", "elements": [{"type": "mrkdwn", "verbatim": True, "text": text}]}]


def _block_text_len(blocks: list[dict[str, Any]]) -> int:
    n = 0
    for b in blocks:
        if "text" in b:
            n += len(b["text"]["text"])
        for e in b.get("elements", ()):
            n += len(e.get("text", ""))
    return n


def render_slack(digest: Digest, title: str = "") -> list[dict[str, Any]]:
    """Slack incoming-webhook payloads, split so each stays within Slack's limits
    (≤ 45 blocks, sections ≤ 2,900 chars, ~10,000 chars of block text). Each message has a
    plain fallback ``text`` that carries the digest id (receivers can spot a re-send)."""
    name = title or digest.name
    groups: list[list[dict[str, Any]]] = [[]]
    more = [_slack_coverage_blocks(st) for st in digest.coverage]
    if more:
        title_block = {"type": "section", "text": {"type": "mrkdwn", "verbatim": True,
                                                   "text": "*More coverage* (sent before, new sources)"}}
        more[0] = [title_block, *more[0]]
    unlisted = [[{"type": "context", "elements": [{"type": "mrkdwn", "verbatim": True, "text": line}]}]
                for line in omitted_lines(digest)]
    for blocks in [_slack_story_blocks(story) for story in digest.stories] + more + unlisted:
        current = groups[-1]
        if current and (len(current) + len(blocks) > SLACK_MAX_BLOCKS - 1
                        or _block_text_len(current) + _block_text_len(blocks) > SLACK_MAX_MESSAGE_TEXT):
            groups.append([])
        groups[-1].extend(blocks)
    messages = []
    parts = len(groups)
    for i, blocks in enumerate(groups, 1):
        part = f" (part {i}/{parts})" if parts > 1 else ""
        header_text = _cap(count_line(name, digest) + part, SLACK_MAX_HEADER)
        header = {"type": "header", "text": {"type": "plain_text", "text": header_text, "emoji": False}}
        first = digest.stories[0].title if digest.stories else ""
        fallback = _cap(slack_escape(f"{header_text}: {first}") + f" [digest {digest.id}]", SLACK_MAX_FALLBACK)
        if i == parts and digest.notes:
            blocks = [*blocks, _slack_notes(digest.notes)]
        messages.append({"text": fallback, "blocks": [header, *blocks]})
    return messages


def _slack_notes(notes: tuple[str, ...]) -> dict[str, Any]:
    text = _cap("Source health: " + " · ".join(slack_escape(n) for n in notes[:10]), SLACK_MAX_SECTION)
    return {"type": "context", "elements": [{"type": "mrkdwn", "verbatim": True, "text": text}]}


# ---- text, HTML, e-mail ----------------------------------------------------------------------


def render_text(digest: Digest, title: str = "") -> str:
    name = title or digest.name
    out = [count_line(name, digest), ""]
    for i, st in enumerate(digest.stories, 1):
        out.append(f"{i}. {st.title}")
        facts = format_event(st.event)
        if facts:
            out.append(f"   {facts}")
        if safe_http_url(st.url):
            out.append(f"   {st.url}")
        out.append(f"   Sources ({len(st.sources)}):")
        for s in st.sources:
            lang = f" [{s.lang}]" if s.lang else ""
            link = f" <{s.url}>" if safe_http_url(s.url) else ""
            out.append(f"   - {s.source or 'unknown outlet'}{lang}: {s.title}{link}")
        out.append("")
    if digest.omitted:
        out.extend([omitted_lines(digest)[0], ""])
    if digest.coverage:
        out.append("More coverage (sent before, new sources):")
        for st in digest.coverage:
            out.append(f"- {st.title}")
            for s in st.sources:
                lang = f" [{s.lang}]" if s.lang else ""
                link = f" <{s.url}>" if safe_http_url(s.url) else ""
                out.append(f"  - {s.source or 'unknown outlet'}{lang}: {s.title}{link}")
        if digest.omitted_coverage:
            out.append(omitted_lines(digest)[-1])
        out.append("")
    if digest.notes:
        out.append("Source health:")
        out.extend(f"- {n}" for n in digest.notes)
        out.append("")
    out.append(f"digest id: {digest.id}")
    return "\n".join(out) + "\n"


_CSS_BODY = "font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1a1a1a;max-width:680px;"
_CSS_STORY = "margin:0 0 18px 0;padding:0 0 12px 0;border-bottom:1px solid #e5e5e5;"
_CSS_TITLE = "font-size:16px;font-weight:600;color:#0b57d0;text-decoration:none;"
_CSS_FACTS = "font-size:13px;color:#444;margin:4px 0;"
_CSS_SRC = "font-size:12px;color:#666;margin:2px 0;"


def _a(url: str | None, label: str, style: str = "") -> str:
    safe = safe_http_url(url)
    text = html.escape(label)
    if not safe:
        return text
    st = f' style="{style}"' if style else ""
    return f'<a href="{html.escape(safe, quote=True)}"{st}>{text}</a>'


def render_html(digest: Digest, title: str = "") -> str:
    name = title or digest.name
    parts = [f'<div style="{_CSS_BODY}">',
             f'<h2 style="font-size:20px;">{html.escape(count_line(name, digest))}</h2>']
    for st in digest.stories:
        parts.append(f'<div style="{_CSS_STORY}">')
        parts.append(f"<div>{_a(st.url, st.title or '(untitled)', _CSS_TITLE)}</div>")
        facts = format_event(st.event)
        if facts:
            parts.append(f'<p style="{_CSS_FACTS}">{html.escape(facts)}</p>')
        for s in st.sources:
            lang = f" [{html.escape(s.lang)}]" if s.lang else ""
            parts.append(f'<p style="{_CSS_SRC}">{html.escape(s.source or "unknown outlet")}{lang}: '
                         f"{_a(s.url, s.title)}</p>")
        parts.append("</div>")
    if digest.omitted:
        parts.append(f'<p style="{_CSS_FACTS}">{html.escape(omitted_lines(digest)[0])}</p>')
    if digest.coverage:
        parts.append(f'<div style="{_CSS_STORY}"><p style="{_CSS_FACTS}"><b>More coverage</b> '
                     "(sent before, new sources)</p>")
        for st in digest.coverage:
            parts.append(f'<p style="{_CSS_FACTS}">{_a(st.url, st.title or "(untitled)")}</p>')
            for s in st.sources:
                lang = f" [{html.escape(s.lang)}]" if s.lang else ""
                parts.append(f'<p style="{_CSS_SRC}">{html.escape(s.source or "unknown outlet")}{lang}: '
                             f"{_a(s.url, s.title)}</p>")
        if digest.omitted_coverage:
            parts.append(f'<p style="{_CSS_FACTS}">{html.escape(omitted_lines(digest)[-1])}</p>')
        parts.append("</div>")
    if digest.notes:
        parts.append(f'<p style="{_CSS_SRC}"><b>Source health</b></p>')
        parts.extend(f'<p style="{_CSS_SRC}">{html.escape(n)}</p>' for n in digest.notes)
    parts.append(f'<p style="{_CSS_SRC}">digest id {html.escape(digest.id)}</p></div>')
    return "\n".join(parts)


_LINE_BREAKS = str.maketrans({c: " " for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def one_line(text: str) -> str:
    """Every kind of line break folded to a space, runs of whitespace collapsed (header values)."""
    return " ".join(text.translate(_LINE_BREAKS).split())


def render_email(digest: Digest, title: str = "") -> tuple[str, str, str]:
    """``(subject, text, html)``. The subject is one line (every kind of line break folded)."""
    name = title or digest.name
    first = digest.stories[0].title if digest.stories else ""
    subject = count_line(name, digest) + (f" — {first}" if first else "")
    subject = one_line(subject)
    page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>"
            + render_html(digest, title) + "</body></html>")
    return _cap(subject, SUBJECT_MAX), render_text(digest, title), page
