"""End to end with real parts (a local feed server, a webhook receiver, the database): a source in
another language that reaches its story after the story was delivered joins it and is not sent
again, however late it arrives within the delivery age window; the next digest that has news lists
it once under "more coverage"."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from monitor.app import make_monitor
from tests.helpers import settings

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{name}</title><link>https://{host}/</link><language>{lang}</language>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://{host}/{slug}</link><guid>{host}-{slug}</guid>
<description>{summary}</description><pubDate>{date}</pubDate></item>"""


def rss(name: str, host: str, lang: str, entries: list[tuple[str, str, str, datetime]]) -> bytes:
    items = "\n".join(ITEM.format(title=t, summary=s, host=host, slug=slug,
                                  date=when.strftime("%a, %d %b %Y %H:%M:%S GMT"))
                      for slug, t, s, when in entries)
    return RSS.format(name=name, host=host, lang=lang, items=items).encode()


def hook_posts(receiver):
    return [p for i, p in enumerate(receiver.json_posts()) if receiver.posts[i]["path"] == "/hook"]


@pytest.mark.parametrize("days_later", [0.5, 10])
def test_a_late_cross_language_source_joins_the_delivered_story_and_is_not_sent_again(
        feed_server, receiver, db_url, clock, days_later):
    morning = clock.now() - timedelta(hours=2)
    wire = feed_server.add("/wire.xml", rss("Wire", "wire.example", "en", [
        ("openai-closes-round", "OpenAI closes $8.2 billion round at a $210 billion valuation",
         "Thrive leads the new equity round, the company said on Tuesday.", morning),
        ("openai-talks", "OpenAI in talks to raise money at a $300 billion valuation",
         "The company is in early discussions with investors, people familiar said.", morning)]),
        content_type="application/rss+xml")
    lemonde = feed_server.add("/lemonde.xml", rss("Le Monde", "lemonde.example", "fr", []),
                              content_type="application/rss+xml")
    s = settings([wire, lemonde], receiver, db_url, polling={"max_age_days": 30, "timeout_seconds": 10})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            first = await m.poll()
            assert sum(f.new_stories for f in first.feeds) == 2
            assert {o.sink for o in await m.send_digest("daily") if o.run_id} == {"archive", "team-slack"}
            # Le Monde's report of the same round, published that morning, reaches its feed late
            clock.advance(days=days_later)
            feed_server.add("/lemonde.xml", rss("Le Monde", "lemonde.example", "fr", [
                ("openai-leve-8-milliards", "OpenAI lève 8,2 milliards de dollars et vaut désormais 210 milliards",
                 "Le fonds Thrive mène ce nouveau tour de table.", morning + timedelta(hours=1))]),
                content_type="application/rss+xml")
            late = await m.poll(all_feeds=True)
            assert (sum(f.new_articles for f in late.feeds), sum(f.new_stories for f in late.feeds)) == (1, 0)
            assert all(o.skipped == "nothing pending" for o in await m.send_digest("daily"))
            assert (await m.preview("daily")).stories == ()
            stories = await m.deps.call_store(m.deps.store.load_stories, [1, 2])
            # news: the digest that sends it lists the late source once, under "more coverage"
            clock.advance(hours=1)
            feed_server.add("/wire.xml", rss("Wire", "wire.example", "en", [
                ("openai-revenue", "OpenAI annualized revenue reaches $15 billion",
                 "Sales of ChatGPT subscriptions grew.", clock.now())]), content_type="application/rss+xml")
            await m.poll(all_feeds=True)
            preview = await m.preview("daily")
            assert [len(st.sources) for st in preview.coverage] == [1]
            assert {o.sink for o in await m.send_digest("daily") if o.run_id} == {"archive", "team-slack"}
            clock.advance(hours=1)
            assert all(o.skipped == "nothing pending" for o in await m.send_digest("daily"))
            return stories

    stories = asyncio.run(scenario())
    first, second = hook_posts(receiver)
    assert len(first["stories"]) == 2 and "more_coverage" not in first
    [joined] = [st for st in stories if len(st.sources) == 2]
    assert {(src.source, src.lang) for src in joined.sources} == {("Wire", "en"), ("Le Monde", "fr")}
    assert [st["title"] for st in second["stories"]] == ["OpenAI annualized revenue reaches $15 billion"]
    [more] = second["more_coverage"]
    assert more["id"] == joined.id
    assert [(src["source"], src["lang"]) for src in more["sources"]] == [("Le Monde", "fr")]
