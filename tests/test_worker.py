"""The pure part of a poll: body -> items (matches, keys, story features)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.dedupe import entry_key
from monitor.match import preset
from monitor.parse import parse_feed
from monitor.worker import build_items

NOW = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)
RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://news.example/</link>
<item><title>OpenAI raises $6.6 billion at a $157 billion valuation</title><link>https://news.example/1</link>
<guid>g1</guid><pubDate>Wed, 11 Jun 2025 05:00:00 GMT</pubDate></item>
<item><title>OpenAI's annualized revenue hits $10 billion</title><link>https://news.example/2</link>
<guid>g2</guid><pubDate>Wed, 11 Jun 2025 05:10:00 GMT</pubDate></item>
<item><title>A new phone is out</title><link>https://news.example/3</link>
<guid>g3</guid><pubDate>Wed, 11 Jun 2025 05:20:00 GMT</pubDate></item>
<item><title>OpenAI raises $6.6 billion at a $157 billion valuation</title><link>https://news.example/1</link>
<guid>g1</guid><pubDate>Wed, 11 Jun 2025 05:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_items_are_matched_keyed_and_deduplicated_within_the_body() -> None:
    parsed = parse_feed(RSS, "https://news.example/rss")
    items = build_items(parsed, [preset("openai-funding-revenue")], NOW, timedelta(days=30))
    assert [i.article.link for i in items] == ["https://news.example/1", "https://news.example/2",
                                              "https://news.example/3"]
    assert [bool(i.matches) for i in items] == [True, True, False]
    assert all(i.entry_key and i.url_key and i.deliverable for i in items)


def test_known_entries_are_left_out_unread() -> None:
    parsed = parse_feed(RSS, "https://news.example/rss")
    known = frozenset({entry_key(parsed.articles[0]), "v1:not-in-this-body"})
    items = build_items(parsed, [preset("openai-funding-revenue")], NOW, timedelta(days=30), known)
    assert [i.article.link for i in items] == ["https://news.example/2", "https://news.example/3"]
    assert items[0].matches   # the rest is read as before
