"""One deadline per feed (EXPECTED.md G2): ``polling.timeout_seconds`` covers the fetch and the
parse together. A server that spends most of it before answering leaves the parse only what is
left; the same body served at once parses within it. Real local server, real parse worker."""

from __future__ import annotations

import asyncio

from monitor.app import make_monitor
from tests.helpers import settings

# 5,000 entries: too many tags for the in-process fast path, so the sandboxed parse pool reads it
# (about 2 s of feedparser on this machine)
ITEMS = "".join(f"<item><title>Item {i}</title><link>https://big.example/{i}</link><guid>g{i}</guid>"
                f"<description>text {i}</description></item>" for i in range(5_000))
BIG = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big</title>'
       f"<link>https://big.example/</link>{ITEMS}</channel></rss>").encode()
CONTROL = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Control</title>'
           b"<link>https://c.example/</link><item><title>CONTROL</title><link>https://c.example/1</link>"
           b"</item></channel></rss>")
TIMEOUT = 10.0


def poll(feed_server, receiver, sqlite_url, clock, delay):
    big = feed_server.add("/big.xml", BIG, delay=delay)
    control = feed_server.add("/control.xml", CONTROL)
    s = settings([big, control], receiver, sqlite_url, polling={"timeout_seconds": TIMEOUT})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=1) as m:
            return await m.poll()

    report = asyncio.run(scenario())
    return {f.url.rsplit("/", 1)[1]: f for f in report.feeds}


def test_the_parse_gets_what_the_fetch_left_of_the_feeds_deadline(feed_server, receiver, sqlite_url, clock):
    # the server answers after 9.5 s of the 10 s: the parse, which needs more than the 0.5 s left
    # (about 2 s here: it would fit in a deadline of its own), fails as a timeout; the other feed
    # is unaffected
    out = poll(feed_server, receiver, sqlite_url, clock, delay=TIMEOUT - 0.5)
    big = out["big.xml"]
    assert big.error is not None and big.error.reason == "timeout"
    assert "while parsing" in str(big.error)
    assert out["control.xml"].error is None and out["control.xml"].new_articles == 1


def test_the_same_body_served_at_once_parses_within_the_deadline(feed_server, receiver, sqlite_url, clock):
    out = poll(feed_server, receiver, sqlite_url, clock, delay=0)
    assert out["big.xml"].error is None and out["big.xml"].new_articles == 5_000
