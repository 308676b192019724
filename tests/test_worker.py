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


def test_known_entries_are_left_out_before_parsing_their_text() -> None:
    from monitor.dedupe import id_key
    from monitor.worker import init_worker, process_feed, process_feed_fast

    init_worker([{"name": "openai-money", "preset": "openai-funding-revenue"}])
    first = parse_feed(RSS, "https://news.example/rss")
    known = frozenset({entry_key(first.articles[0]), entry_key(first.articles[2])})
    assert all(id_key(a.entry_id, a.link) == entry_key(a) for a in first.articles)
    # the fast path (ElementTree) and the general one (feedparser, here for an RSS 1.0 body) alike
    rdf = (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           b'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://news.example/"><title>T</title>'
           b'</channel>' + b"".join(
               b'<item rdf:about="https://news.example/%d"><title>%s</title><link>https://news.example/%d</link>'
               b'</item>' % (i, t, i) for i, t in ((1, b"OpenAI raises $6.6 billion"), (2, b"Other news")))
           + b"</rdf:RDF>")
    fast = process_feed_fast(RSS, "https://news.example/rss", "application/rss+xml", "", NOW, 30, known)
    assert fast is not None
    assert [i.article.link for i in fast.items] == ["https://news.example/2"] and fast.skipped == 0
    assert process_feed_fast(rdf, "https://news.example/rdf", "application/rdf+xml", "", NOW, 30) is None
    everything = process_feed(rdf, "https://news.example/rdf", "", "", 10**7, NOW, 30)
    left = process_feed(rdf, "https://news.example/rdf", "", "", 10**7, NOW, 30,
                        frozenset({everything.items[0].entry_key}))
    assert [i.article.link for i in left.items] == ["https://news.example/2"] and left.skipped == 0


def test_dates_in_the_future_become_the_first_seen_time() -> None:
    body = RSS.replace(b"Wed, 11 Jun 2025 05:10:00 GMT", b"Tue, 01 Jan 2099 00:00:00 GMT").replace(
        b"Wed, 11 Jun 2025 05:20:00 GMT", b"Wed, 11 Jun 2025 20:00:00 GMT")   # 14 h ahead: clock skew
    items = build_items(parse_feed(body, "https://news.example/rss"), [preset("openai-funding-revenue")], NOW,
                        timedelta(days=30))
    assert [i.article.published for i in items] == [datetime(2025, 6, 11, 5, 0, tzinfo=UTC), NOW,
                                                     datetime(2025, 6, 11, 20, 0, tzinfo=UTC)]
    assert items[1].matches and items[1].deliverable
