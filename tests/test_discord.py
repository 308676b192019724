"""The native Discord sink against the real local receiver, through the real outbox (SQLite) with
an injected clock: Discord's ``retry_after``, a deleted webhook, mentions, Discord's size limits."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import UTC, datetime

import httpx

from monitor import cli
from monitor.app import make_monitor
from monitor.config import settings_from_dict
from monitor.sinks.discord import MAX_EMBED_CHARS, MAX_EMBEDS, DiscordSink, render_discord
from monitor.store import open_store
from monitor.types import Digest, DigestStory, Event, Source
from tests.delivery_support import seed_stories

TOKEN = "DISCORDCANARY5-abcdefghijklmnop"
HOOK = f"/api/webhooks/123456789012345678/{TOKEN}"
FUNDING = Event(kind="funding", amount=40e9, currency="USD", status="completed")
NOW = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)


def settings(receiver, db_url, **over):
    d = {"database": {"url": db_url}, "server": {"listen": ""},
         "topics": [{"name": "openai-money", "preset": "openai-funding-revenue"}],
         "sinks": {"chat": {"type": "discord", "webhook_url": receiver.url(HOOK)},
                   "ops": {"type": "webhook", "url": receiver.url("/ops")}},
         "digests": [{"name": "daily", "schedule": "0 8 * * *", "sinks": ["chat"]}]}
    d.update(over)
    return settings_from_dict(d, environ={})


def seed(s, clock, stories):
    store = open_store(s.database_url)
    store.migrate()
    seed_stories(store, clock.now(), stories, {"openai-money": [("daily", "chat")]})
    store.close()


def discord_posts(receiver):
    return [p for p in receiver.posts if p["path"].startswith("/api/webhooks/")]


def test_429_retry_after_in_the_body_is_honoured_then_exactly_one_delivery(receiver, sqlite_url, clock, caplog):
    s = settings(receiver, sqlite_url)
    seed(s, clock, [("OpenAI raises $40B", FUNDING)])
    receiver.responses += [(429, {"Content-Type": "application/json"},  # no Retry-After header: the body says
                            b'{"message": "You are being rate limited.", "retry_after": 64.5, "global": false}'),
                           (200, {"Content-Type": "application/json"}, b'{"id": "1300000000000000001"}')]

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            first = (await m.send_digest("daily"))[0]
            assert first.error.retry_after == 64.5 and not first.error.permanent
            clock.advance(seconds=30)
            assert "asked to wait" in (await m.send_digest("daily", manual=True))[0].skipped
            assert (await m.send_digest("daily", retries_only=True))[0].skipped == "nothing pending"
            clock.advance(seconds=35)
            again = (await m.send_digest("daily", retries_only=True))[0]
            assert again.error is None and again.run_id == first.run_id
            assert (await m.send_digest("daily"))[0].skipped == "nothing pending"

    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
    sent = discord_posts(receiver)
    assert len(sent) == 2 and sent[0]["body"] == sent[1]["body"]
    assert all(p["path"] == HOOK + "?wait=true" for p in sent)
    body = json.loads(sent[0]["body"])
    assert body["allowed_mentions"] == {"parse": []} and f"[digest {first_run_id(body)}]" in body["content"]
    assert body["embeds"][0]["title"] == "OpenAI raises $40B" and "$40B" in body["embeds"][0]["description"]
    data = b"".join(p.read_bytes() for p in _db_files(sqlite_url))
    assert TOKEN not in caplog.text and TOKEN.encode() not in data


def first_run_id(body):
    return re.search(r"\[digest ([0-9a-f]{32})\]", body["content"]).group(1)


def _db_files(sqlite_url):
    from pathlib import Path

    path = Path(sqlite_url.removeprefix("sqlite:///"))
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


def test_a_deleted_webhook_404_is_permanent_and_reported_once(receiver, sqlite_url, clock, caplog):
    s = settings(receiver, sqlite_url, delivery={"alert_sink": "ops"})
    seed(s, clock, [("OpenAI raises $40B", FUNDING)])
    receiver.responses += [(404, {"Content-Type": "application/json"}, b'{"message": "Unknown Webhook", "code": 10015}')]

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            out = (await m.send_digest("daily"))[0]
            assert out.error.permanent and "HTTP 404" in str(out.error) and "Unknown Webhook" in str(out.error)
            clock.advance(days=1)
            assert (await m.send_digest("daily", retries_only=True))[0].skipped == "nothing pending"
            assert (await m.send_digest("daily"))[0].skipped == "nothing pending"

    with caplog.at_level(logging.ERROR):
        asyncio.run(scenario())
    assert len(discord_posts(receiver)) == 1
    errors = [r.getMessage() for r in caplog.records if "permanently" in r.getMessage()]
    assert len(errors) == 1 and "sink=chat" in errors[0] and TOKEN not in caplog.text
    alerts = [json.loads(p["body"]) for p in receiver.posts if p["path"] == "/ops"]
    assert len(alerts) == 1 and "chat" in alerts[0]["text"] and TOKEN not in alerts[0]["text"]


def test_mention_and_link_injection_is_neutralized(receiver, sqlite_url, clock):
    s = settings(receiver, sqlite_url)
    seed(s, clock, [("@everyone <@123456789> <@&42> [verify here](https://evil.example/x) **OpenAI** raises $6B",
                     FUNDING)])

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            return (await m.send_digest("daily"))[0]

    assert asyncio.run(scenario()).error is None
    body = json.loads(discord_posts(receiver)[0]["body"])
    assert body["allowed_mentions"] == {"parse": []}
    feed_texts = [e[k] for e in body["embeds"] for k in ("title", "description")]
    for t in [body["content"], *feed_texts]:
        assert "@everyone" not in t and "<@123456789>" not in t and "<@&42>" not in t
        for url in re.findall(r"(?<!\\)\[[^\]]*(?<!\\)\]\(([^)]*)\)", t):  # every link is one we built
            assert url.startswith("https://news.example/"), url
    assert all(not re.search(r"(?<!\\)[*<]", t) for t in feed_texts)  # no bold, no <@…>: escaped
    assert "evil.example" not in body["embeds"][0].get("url", "")


def test_long_digests_are_split_within_discords_limits():
    sources = tuple(Source(title="t", url=f"https://news.example/{'p' * 120}/{j}", source=f"Outlet {j}",
                           published=NOW, lang="en") for j in range(30))
    stories = tuple(DigestStory(id=i, title=f"OpenAI story {i} " + "x" * 300, url=f"https://a.example/{i}",
                                topic="openai-money", event=FUNDING, sources=sources, first_seen=NOW)
                    for i in range(40))
    messages = render_discord(Digest(id="d1", name="daily", created_at=NOW, stories=stories, notes=("feed x failing",)))
    assert len(messages) > 4
    titles = []
    for i, m in enumerate(messages, 1):
        assert len(m["embeds"]) <= MAX_EMBEDS and len(m["content"]) <= 2000
        assert sum(len(e["title"]) + len(e["description"]) for e in m["embeds"]) <= MAX_EMBED_CHARS
        assert all(len(e["title"]) <= 256 and len(e["description"]) <= 4096 for e in m["embeds"])
        assert f"(part {i}/{len(messages)})" in m["content"] and "[digest d1]" in m["content"]
        titles += [e["title"] for e in m["embeds"]]
    assert len([t for t in titles if t.startswith("OpenAI story")]) == 40 and titles[-1] == "Source health"
    description = messages[0]["embeds"][0]["description"]
    assert re.search(r"…and \d+ more$", description)  # whole links only, never half of one
    assert len(re.findall(r"\]\(https://news\.example/[^()\s]*\)", description)) == description.count("](") == 8


def test_sinks_test_prints_discords_answer(tmp_path, receiver, capsys):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'''
[database]
url = "sqlite:///{tmp_path / 'm.db'}"
[sinks.chat]
type = "discord"
webhook_url = "{receiver.url(HOOK)}"
''')
    receiver.responses.append((200, {"Content-Type": "application/json"}, b'{"id": "42"}'))
    assert cli.main(["--config", str(cfg), "sinks", "test", "chat"]) == 0
    assert capsys.readouterr().out.strip() == "chat: HTTP 200 message 42"
    receiver.responses.append((401, {}, b'{"message": "Invalid Webhook Token", "code": 50027}'))
    assert cli.main(["--config", str(cfg), "sinks", "test", "chat"]) == 1
    out = capsys.readouterr().out
    assert "rejected: HTTP 401" in out and TOKEN not in out


def test_an_exhausted_rate_limit_bucket_delays_the_next_post(receiver):
    waits: list[float] = []
    now = [100.0]

    async def fake_sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    receiver.responses += [(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "2.5"}, b'{"id": "1"}'),
                           (200, {"X-RateLimit-Remaining": "4"}, b'{"id": "2"}')]

    async def go():
        async with httpx.AsyncClient() as c:
            sink = DiscordSink("chat", receiver.url(HOOK), c, sleep=fake_sleep, monotonic=lambda: now[0])
            for i in range(3):
                await sink.send_notice("t", f"notice {i}", notice_id=f"n{i}", now=NOW)

    asyncio.run(go())
    assert waits == [2.5] and len(discord_posts(receiver)) == 3  # once, before the second post only


def test_more_coverage_is_listed_with_only_the_new_sources():
    new_source = Source(title="t", url="https://late.example/1", source="Late Outlet", published=NOW, lang="de")
    sent_before = DigestStory(id=7, title="OpenAI raises $40B", url="https://a.example/7", topic="openai-money",
                              event=FUNDING, sources=(new_source,), first_seen=NOW)
    fresh = DigestStory(id=8, title="OpenAI revenue doubles", url="https://a.example/8", topic="openai-money",
                        event=None, sources=(), first_seen=NOW)
    [message] = render_discord(Digest(id="d2", name="daily", created_at=NOW, stories=(fresh,), coverage=(sent_before,)))
    assert [e["title"] for e in message["embeds"]] == ["OpenAI revenue doubles", "More coverage: OpenAI raises $40B"]
    assert message["embeds"][1]["description"] == "1 new source: [Late Outlet \\(de\\)](https://late.example/1)"
    assert message["content"].startswith("**daily: 1 story**")
