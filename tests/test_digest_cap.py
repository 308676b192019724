"""A digest for people lists at most ``max_stories`` stories: the most reported ones, in the
digest's order, then one line counting the others (which are delivered with the run all the same);
the webhook payload keeps every story. Pure renders, then end to end over real local servers."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from monitor.app import make_monitor
from monitor.digest import render_json, render_slack, render_text
from monitor.digest.cap import cap_digest
from monitor.digest.render import render_email, render_html
from monitor.sinks.discord import render_discord
from monitor.types import Digest, DigestStory, Event, Source
from tests.helpers import settings

NOW = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)


def story(i: int, n_sources: int = 1) -> DigestStory:
    sources = tuple(Source(title=f"OpenAI story {i} ({j})", url=f"https://outlet{j}.example/{i}", source=f"Outlet {j}",
                           published=NOW, lang="en") for j in range(n_sources))
    return DigestStory(id=i, title=f"OpenAI story {i}", url=f"https://a.example/{i}", topic="openai-money",
                       event=Event(kind="funding", amount=1e9, currency="USD"), sources=sources,
                       first_seen=NOW + timedelta(minutes=i))


def digest(stories, coverage=()) -> Digest:
    return Digest(id="run-1", name="daily", created_at=NOW, stories=tuple(stories), coverage=tuple(coverage))


def test_the_most_reported_stories_are_listed_in_the_digests_order():
    stories = [story(i, n_sources=3 if i in (7, 2, 9) else 1) for i in range(10)]
    capped = cap_digest(digest(stories), 5)
    # the three reported by three outlets, then the earliest seen of the rest; listed in digest order
    assert [st.id for st in capped.stories] == [0, 1, 2, 7, 9]
    assert (capped.omitted, capped.total) == (5, 10)


def test_no_cap_when_within_the_limit_or_zero():
    d = digest([story(i) for i in range(3)])
    assert cap_digest(d, 3) is d and cap_digest(d, 0) is d
    assert cap_digest(digest([story(i) for i in range(500)]), 0).omitted == 0


def test_more_coverage_is_capped_too():
    capped = cap_digest(digest([story(1)], coverage=[story(100 + i) for i in range(8)]), 3)
    assert (len(capped.stories), capped.omitted) == (1, 0)
    assert (len(capped.coverage), capped.omitted_coverage) == (3, 5)
    text = render_text(capped)
    assert "…and new sources for 5 more stories sent before, not listed." in text


def test_every_format_for_people_says_how_many_are_not_listed():
    capped = cap_digest(digest([story(i) for i in range(120)]), 50)
    text = render_text(capped)
    assert text.startswith("daily: 120 stories (50 listed)\n")
    assert "…and 70 more stories not listed" in text and "OpenAI story 50" not in text
    assert "daily: 120 stories (50 listed)" in render_html(capped) and "…and 70 more stories" in render_html(capped)
    subject, _, _ = render_email(capped)
    assert subject.startswith("daily: 120 stories (50 listed) — ")
    slack = render_slack(capped)
    assert slack[0]["blocks"][0]["text"]["text"].startswith("daily: 120 stories (50 listed)")
    assert "…and 70 more stories not listed" in json.dumps(slack[-1], ensure_ascii=False)
    discord = render_discord(capped)
    assert "…and 70 more stories not listed" in json.dumps(discord[-1], ensure_ascii=False)
    for m in discord:
        assert len(m["embeds"]) <= 10


def test_a_flood_of_stories_stays_a_few_slack_messages_within_limits():
    slack = render_slack(cap_digest(digest([story(i, n_sources=3) for i in range(10_000)]), 50))
    assert len(slack) <= 5
    for m in slack:
        assert len(m["blocks"]) <= 50 and m["text"]
        assert len(json.dumps(m)) < 40_000


def test_the_webhook_payload_is_never_capped():
    d = digest([story(i) for i in range(120)])
    assert len(render_json(d, NOW)["stories"]) == 120


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{name}</title><link>https://{host}/</link><language>en</language>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://{host}/{i}</link><guid>{host}-{i}</guid>
<description>{summary}</description><pubDate>{date}</pubDate></item>"""


def test_end_to_end_a_flood_is_one_capped_slack_digest_and_a_full_webhook_payload_sent_once(
        feed_server, receiver, db_url, clock):
    date = (clock.now() - timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    # 40 rounds from one feed (amounts 15 % apart: 40 stories), the last also reported by a second outlet
    def title(i):
        return f"OpenAI raises ${round(10 * 1.15 ** i)} million from fund number {i}"

    items = "\n".join(ITEM.format(host="flood.example", i=i, date=date, title=title(i),
                                  summary=f"Investor group {i} leads the round, the company said.")
                      for i in range(40))
    flood = feed_server.add("/flood.xml", RSS.format(name="Flood", host="flood.example", items=items).encode(),
                            content_type="application/rss+xml")
    wire = feed_server.add("/wire.xml", RSS.format(name="Wire", host="wire.example", items=ITEM.format(
        host="wire.example", i="x", date=date, title=title(39),
        summary="Investor group 39 leads the round, the company said.")).encode(), content_type="application/rss+xml")
    s = settings([flood, wire], receiver, db_url, polling={"timeout_seconds": 20},
                 digests=[{"name": "daily", "schedule": "0 8 * * *", "sinks": ["team-slack", "archive"],
                           "max_stories": 10}])

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            first = await m.send_digest("daily")
            clock.advance(hours=2)
            await m.poll(all_feeds=True)
            second = await m.send_digest("daily")
            return first, second

    first, second = asyncio.run(scenario())
    slack = [json.loads(p["body"]) for p in receiver.posts if p["path"] == "/slack"]
    hooks = [json.loads(p["body"]) for p in receiver.posts if p["path"] == "/hook"]
    assert len(hooks) == 1 and len(hooks[0]["stories"]) == 40
    assert {o.sink: o.stories for o in first if o.run_id} == {"team-slack": 40, "archive": 40}
    assert all(o.skipped == "nothing pending" for o in second)   # the unlisted ones too: delivered once
    assert len(slack) == 1
    blocks = slack[0]["blocks"]
    assert blocks[0]["text"]["text"] == "daily: 40 stories (10 listed)"
    listed = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(listed) == 10
    # the earliest seen, except that the one two outlets reported is listed although seen last
    assert {int(t.split("fund number ")[1].split(">")[0]) for t in listed} == {*range(9), 39}
    assert "…and 30 more stories not listed" in json.dumps(blocks[-1], ensure_ascii=False)
