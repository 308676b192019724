"""Daemon health: dead-man alert, gauges, /healthz and /metrics, the source-health footer."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import socket
from datetime import datetime, timedelta

import httpx
import pytest

from monitor.app import make_monitor
from monitor.config import settings_from_dict
from monitor.pipeline import Metrics, NetworkState, series
from monitor.scheduler import Daemon
from monitor.server import HELP, render_metrics
from tests.helpers import FEEDS, serve_fixtures, settings
from tests.servers import FeedServer
from tests.test_cli import _start_daemon, _stop, _wait, config_dict, monitor, write_config


def dead_man_settings(feed_server, receiver, db_url):
    """One good feed, a dead-man threshold of an hour, and alerts through the webhook sink "ops"."""
    good = serve_fixtures(feed_server)[:1]
    d = config_dict(good, receiver, db_url, polling={"max_age_days": 100000, "dead_man_hours": 1},
                    delivery={"alert_sink": "ops"})
    d["sinks"]["ops"] = {"type": "webhook", "url": receiver.url("/ops")}
    return settings_from_dict(d, environ={})


def test_dead_man_alert_once_and_recovery(feed_server, receiver, db_url, clock, caplog):
    """Two workers on one database see the dead-man state; the alert sink hears it once, and once
    when polling recovers."""
    s = dead_man_settings(feed_server, receiver, db_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m, \
                make_monitor(s, clock=clock, parse_workers=0) as m2:
            d, other = Daemon(m), Daemon(m2)
            await d.poll_job()
            await other.poll_job()
            assert d._last_gauges["monitor_dead_man"] == 0
            feed_server.routes["/en.xml"].status = 500
            clock.advance(hours=2)
            await d.poll_job()
            clock.advance(minutes=30)
            await d.poll_job()
            await other.poll_job()
            assert d._health()["dead_man"] is True and other._health()["dead_man"] is True
            assert d._last_gauges["monitor_seconds_since_successful_poll"] >= 2 * 3600
            feed_server.routes["/en.xml"].status = 200
            clock.advance(hours=7)
            await d.poll_job()
            await other.poll_job()
            assert d._health()["dead_man"] is False and other._health()["dead_man"] is False

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    alerts = [r for r in caplog.records if "dead-man alert:" in r.getMessage()]
    assert len(alerts) == 2 and all(r.levelno == logging.ERROR for r in alerts)   # one line per worker
    assert any("recovered" in r.getMessage() for r in caplog.records)
    notices = [json.loads(p["body"]) for p in receiver.posts if p["path"] == "/ops"]
    assert [(n["type"], n["title"]) for n in notices] == [
        ("notice", "monitor: dead-man alert"), ("notice", "monitor: polling recovered")]
    assert "no feed has been polled successfully for 2.0 hours" in notices[0]["text"]


@pytest.mark.parametrize("retried_by", ["same worker", "other worker"])
def test_dead_man_notice_the_alert_sink_refused_is_sent_at_the_next_check(feed_server, receiver, db_url, clock,
                                                                          retried_by):
    """The alert sink answers 500 to the first dead-man notice: the claim is given back and the
    notice goes out at the next check, the worker's own or another worker's, once (same id)."""
    s = dead_man_settings(feed_server, receiver, db_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m, \
                make_monitor(s, clock=clock, parse_workers=0) as m2:
            first, other = Daemon(m), Daemon(m2)
            await first.poll_job()
            feed_server.routes["/en.xml"].status = 500
            clock.advance(hours=2)
            receiver.responses.append((500, {}, b"down"))
            await first.poll_job()            # dead-man: the notice is refused
            assert first._health()["dead_man"] is True and len(receiver.posts) == 1
            clock.advance(minutes=1)
            if retried_by == "same worker":
                await first.poll_job()
                await other.poll_job()        # sees the dead-man state too; the notice is sent
            else:
                await other.poll_job()
                await first.poll_job()
            clock.advance(minutes=1)
            await first.poll_job()
            await other.poll_job()
            feed_server.routes["/en.xml"].status = 200
            clock.advance(hours=7)
            await first.poll_job()
            await other.poll_job()

    asyncio.run(scenario())
    ops = [p for p in receiver.posts if p["path"] == "/ops"]
    assert [(json.loads(p["body"])["title"]) for p in ops] == [
        "monitor: dead-man alert", "monitor: dead-man alert", "monitor: polling recovered"]
    assert ops[0]["headers"]["webhook-id"] == ops[1]["headers"]["webhook-id"]   # a receiver can drop a repeat


def test_a_dead_man_notice_refused_again_waits_longer_each_time(feed_server, receiver, sqlite_url, clock):
    """Retried at the next check, then after 2, 4… minutes (up to 30): a long outage of the alert
    sink costs a few lines an hour, not one a tick."""
    d = config_dict(serve_fixtures(feed_server)[:1], receiver, sqlite_url,
                    polling={"max_age_days": 100000, "dead_man_hours": 1}, delivery={"alert_sink": "ops"})
    d["sinks"]["ops"] = {"type": "webhook", "url": receiver.url("/ops")}
    s = settings_from_dict(d, environ={})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            daemon = Daemon(m)
            await daemon.poll_job()
            feed_server.routes["/en.xml"].status = 500
            clock.advance(hours=2)
            receiver.responses.extend([(500, {}, b"down")] * 3)
            posts = []
            for minutes in (0, 1, 1, 1, 3, 1):   # checks at +0, +1, +2, +3, +6, +7 minutes
                clock.advance(minutes=minutes)
                await daemon.poll_job()
                posts.append(len(receiver.posts))
            return posts

    # refused at +0, +1 (the next check), +3 (2 minutes later); sent at +7 (4 minutes later)
    assert asyncio.run(scenario()) == [1, 2, 2, 3, 3, 4]
    assert receiver.responses == []


def test_source_health_footer_lists_long_failing_feeds(feed_server, receiver, sqlite_url, clock):
    urls = serve_fixtures(feed_server)[:1]
    broken = feed_server.add("/broken.xml", b"oops", status=503, etag=False)
    s = settings(urls + [broken], receiver, sqlite_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            early = await m.preview("daily")
            clock.advance(hours=30)
            await m.poll()
            return early, await m.preview("daily")

    early, late = asyncio.run(scenario())
    assert early.notes == ()
    assert len(late.notes) == 1 and "failing for 30 h" in late.notes[0]
    from monitor.digest import render_text

    assert "Source health:" in render_text(late)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# one sample line of the Prometheus text format: name, optional {label="escaped value",...}, value
_SAMPLE = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? \S+')


def _check_exposition(text: str) -> dict[str, str]:
    """Every line is a sample or a comment, every family has one ``# TYPE``; returns the types."""
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in types, f"family declared twice: {name}"
            types[name] = kind
        elif not line.startswith("# HELP "):
            assert _SAMPLE.fullmatch(line), line
            assert line.partition("{")[0].partition(" ")[0] in types, f"sample before its # TYPE: {line}"
    return types


def test_metric_label_values_are_escaped():
    m = Metrics()
    m.inc("monitor_feed_errors_total", feed='http://x.example/a"b\\c\nd', reason="http_status")
    text = render_metrics(m, {series("monitor_feed_consecutive_failures", feed='q"'): 3})
    assert 'monitor_feed_errors_total{feed="http://x.example/a\\"b\\\\c\\nd",reason="http_status"} 1' in text
    assert 'monitor_feed_consecutive_failures{feed="q\\""} 3' in text
    assert _check_exposition(text) == {"monitor_feed_errors_total": "counter",
                                       "monitor_feed_consecutive_failures": "gauge"}


def test_user_agent_names_the_project_and_the_configured_contact(feed_server, receiver, sqlite_url, clock):
    from monitor import __version__

    urls = serve_fixtures(feed_server)[:1]
    s = settings(urls, receiver, sqlite_url, polling={"user_agent_contact": "https://ops.example/contact"})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()

    asyncio.run(scenario())
    agents = {r["headers"]["User-Agent"] for r in feed_server.requests}
    assert agents == {f"monitor/{__version__} (feed poller; +https://ops.example/contact)"}


def _rss(n: int) -> bytes:
    items = "".join(f"<item><title>Weather report {i}</title><link>https://w.example/{i}</link>"
                    f"<guid>w{i}</guid></item>" for i in range(n))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Weather</title>'
            f"<link>https://w.example/</link><description>d</description>{items}</channel></rss>").encode()


def test_source_health_footer_lists_feeds_silent_far_longer_than_their_rhythm(feed_server, receiver, sqlite_url,
                                                                                clock):
    url = feed_server.add("/weather.xml", _rss(2))
    s = settings([url], receiver, sqlite_url, polling={"max_age_days": 100000, "adaptive": False})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            for n in range(3, 7):   # a new item every hour
                clock.advance(hours=1)
                feed_server.routes["/weather.xml"].body = _rss(n)
                await m.poll()
            early = await m.preview("daily")
            for _ in range(8 * 24):   # then nothing new for 8 days (polled every hour)
                clock.advance(hours=1)
                await m.poll()
            return early, await m.preview("daily")

    early, late = asyncio.run(scenario())
    assert early.notes == ()
    assert late.notes == ("Weather: nothing new for 8 days (usually every 1.0 h)",), late.notes


def test_run_serves_healthz_and_metrics(tmp_path, feed_server, receiver):
    port = _free_port()
    urls = serve_fixtures(feed_server)
    # a failing feed whose URL carries a secret: per-feed metrics name it redacted
    urls.append(feed_server.add("/broken.xml?token=SUPERSECRET42", b"oops", status=500, etag=False))
    d = config_dict(urls, receiver, f"sqlite:///{tmp_path / 'm.db'}", server={"listen": f"127.0.0.1:{port}"},
                    polling={"max_age_days": 100000, "tick_seconds": 1})
    c = write_config(tmp_path / "c.toml", d)
    proc = _start_daemon(c)
    try:
        def ready():
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()["status"] == "ok"
            except (httpx.HTTPError, ValueError):
                return False

        assert _wait(ready, 45), "health never became ok"
        feed = f"http://127.0.0.1:{feed_server.port}/broken.xml?token=…"

        def scrape():
            return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text

        assert _wait(lambda: "monitor_feed_consecutive_failures{" in scrape(), 30), scrape()
        metrics = scrape()
        for name in ("monitor_polls_total", "monitor_articles_new_total", "monitor_feeds ",
                     "monitor_pending_deliveries", "monitor_oldest_pending_delivery_age_seconds",
                     "monitor_dead_man 0", "monitor_feeds_failing 1",
                     f'monitor_feed_errors_total{{feed="{feed}",reason="http_status"}} 1',
                     f'monitor_feed_consecutive_failures{{feed="{feed}"}} 1',
                     f'monitor_feed_failing_since_seconds{{feed="{feed}"}} '):
            assert name in metrics, name
        assert "SUPERSECRET42" not in metrics
        types = _check_exposition(metrics)
        assert types["monitor_feed_errors_total"] == "counter" and types["monitor_feeds_failing"] == "gauge"
        assert types["monitor_feed_consecutive_failures"] == "gauge"
        assert "# HELP monitor_feed_failing_since_seconds " in metrics
        assert httpx.get(f"http://127.0.0.1:{port}/nope", timeout=2).status_code == 404
    finally:
        code, err = _stop(proc)
    assert code == 0, err
    assert receiver.url() not in err and f"127.0.0.1:{receiver.port}/hook" not in err


def test_counters_are_exported_at_zero_from_the_first_scrape(feed_server, receiver, sqlite_url, clock):
    """A counter series that first appears at 1 hides its first event from rate()/increase(): the
    first scrape, before any poll, has every label-less counter at 0, and deliveries and delivery
    alerts by each digest sink; per-feed errors (labels not known in advance) appear when they happen."""
    port = _free_port()
    s = settings(serve_fixtures(feed_server)[:1], receiver, sqlite_url, server={"listen": f"127.0.0.1:{port}"})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            daemon = Daemon(m)
            server = await daemon._start_server()
            assert server is not None
            try:
                async with httpx.AsyncClient() as client:
                    first = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
                    await daemon.poll_job()
                    second = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            finally:
                server.close()
                await server.wait_closed()
            return first, second

    first, second = asyncio.run(scenario())
    for name in ("monitor_polls_total", "monitor_feed_polls_total", "monitor_feed_not_modified_total",
                 "monitor_network_outages_total", "monitor_articles_new_total", "monitor_matches_total",
                 "monitor_stories_new_total", "monitor_dead_man_alerts_total"):
        assert f"\n{name} 0\n" in first, name
    for sink in ("archive", "team-slack"):
        for outcome in ("failed", "sent"):
            assert f'\nmonitor_deliveries_total{{outcome="{outcome}",sink="{sink}"}} 0\n' in first
        for kind in ("overdue", "permanent"):
            assert f'\nmonitor_delivery_alerts_total{{kind="{kind}",sink="{sink}"}} 0\n' in first
    assert "monitor_feed_errors_total" not in first
    types = _check_exposition(first)
    counters = {name for name in HELP if name.endswith("_total")} - {"monitor_feed_errors_total"}
    assert {name for name, kind in types.items() if kind == "counter"} == counters
    # the same series count from there
    assert "\nmonitor_polls_total 1\n" in second and "\nmonitor_feed_polls_total 1\n" in second
    assert "\nmonitor_dead_man_alerts_total 0\n" in second
    assert re.search(r"\nmonitor_articles_new_total [1-9]", second), second


def _hits(feed_server, path):
    return feed_server.hits[path]


def test_retry_after_and_backoff_with_an_injected_clock(feed_server, receiver, sqlite_url, clock):
    urls = serve_fixtures(feed_server)[:1]
    limited = feed_server.add("/limited.xml", b"slow down", status=429, headers={"Retry-After": "7200"}, etag=False)
    busy = feed_server.add("/busy.xml", b"busy", status=503, headers={"Retry-After": "3600"}, etag=False)
    broken = feed_server.add("/broken.xml", b"oops", status=500, etag=False)
    s = settings(urls + [limited, busy, broken], receiver, sqlite_url,
                 polling={"max_age_days": 100000, "adaptive": False})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            gaps: dict[str, list[float]] = {"/broken.xml": [], "/limited.xml": [], "/busy.xml": []}
            last = dict.fromkeys(gaps, clock.now())
            for _ in range(12 * 24):  # a day in 5-minute ticks
                clock.advance(minutes=5)
                before = {p: _hits(feed_server, p) for p in gaps}
                await m.poll()
                for p in gaps:
                    if _hits(feed_server, p) > before[p]:
                        gaps[p].append((clock.now() - last[p]).total_seconds() / 60)
                        last[p] = clock.now()
            return gaps, await m.deps.call_store(m.deps.store.list_feeds)

    all_gaps, feeds = asyncio.run(scenario())
    gaps = all_gaps["/broken.xml"]
    # Retry-After is honoured from the first answer on, though the feed's interval is 15 minutes:
    # 2 h on a 429, 1 h on a 503 (until the back-off grows past it)
    assert all_gaps["/limited.xml"] and all(g >= 120 for g in all_gaps["/limited.xml"])
    assert all_gaps["/busy.xml"] and all(g >= 60 for g in all_gaps["/busy.xml"])
    # exponential back-off: after the n-th failure the feed waits 15·2^(n-1) minutes with jitter in
    # the upper half, at least the interval and at most 6 h (polls happen on 5-minute ticks)
    assert len(gaps) >= 6
    for n, gap in enumerate(gaps, start=1):
        raw = min(360, 15 * 2 ** (n - 1))
        assert max(15, raw / 2) <= gap <= raw + 5, (n, gap, gaps)
    failing = {f.url: f for f in feeds}[broken]
    assert failing.consecutive_failures == len(gaps) + 1 and failing.last_error.startswith("http_status")
    assert failing.enabled  # never disabled silently


def test_network_outage_does_not_punish_feeds(feed_server, receiver, sqlite_url, clock, caplog):
    dead = []
    for _ in range(3):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            dead.append(f"http://127.0.0.1:{sock.getsockname()[1]}/feed")
    s = settings(dead, receiver, sqlite_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            for _ in range(3):
                await m.poll()
                clock.advance(minutes=16)
            return await m.deps.call_store(m.deps.store.list_feeds)

    with caplog.at_level(logging.WARNING):
        feeds = asyncio.run(scenario())
    assert all(f.consecutive_failures == 0 and f.last_error for f in feeds)
    outage = [r for r in caplog.records if "is our network down" in r.getMessage()]
    assert len(outage) == 1 and not [r for r in caplog.records if "feed failed" in r.getMessage()]


def test_an_outage_is_recognised_across_rounds_of_one_feed(receiver, sqlite_url, clock, caplog):
    """The audit's scenario: jittered schedules spread the feeds, so during a total outage most
    rounds hold one feed; none of them may be backed off, and the first success ends the outage."""
    server = FeedServer().start()
    body = (FEEDS / "openai_en.xml").read_bytes()
    urls = [server.add(f"/f{i}.xml", body, etag=False) for i in range(8)]
    s = settings(urls, receiver, sqlite_url, polling={"max_age_days": 100000, "adaptive": False})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            for _ in range(4 * 60):   # 4 h healthy in 1-minute ticks: jitter spreads the schedules
                await m.poll()
                clock.advance(minutes=1)
            server.stop()   # every fetch is now refused
            sizes = []
            for _ in range(3 * 60):   # 3 h of total outage
                report = await m.poll()
                if report.feeds:
                    sizes.append(len(report.feeds))
                clock.advance(minutes=1)
            during = await m.deps.call_store(m.deps.store.list_feeds)
            # the network comes back: one answer from a server (an HTTP error will do) ends the outage
            back = FeedServer().start()
            back.add("/gone.xml", b"gone", status=410, etag=False)
            await m.deps.call_store(m.deps.store.add_feed, back.url("/gone.xml"), "gone", clock.now())
            await m.poll()
            after = await m.deps.call_store(m.deps.store.list_feeds)
            back.stop()
            return sizes, during, after

    with caplog.at_level(logging.WARNING):
        sizes, during, after = asyncio.run(scenario())
    assert sizes.count(1) >= 3, sizes   # the scenario really has rounds of one feed
    assert [f.consecutive_failures for f in during] == [0] * 8
    assert all(f.last_error and f.last_error.startswith("network_error") for f in during), [f.last_error for f in during]
    assert len([r for r in caplog.records if "is our network down" in r.getMessage()]) == 1
    assert any("network reachable again" in r.getMessage() for r in caplog.records)
    assert [f.consecutive_failures for f in after if f.url not in urls] == [1]   # counted: no outage now


def test_network_state_needs_two_feeds_and_ends_with_any_answer(clock):
    net = NetworkState()
    now = clock.now()
    assert net.observe(reached=False, failed=[1], now=now) == ("", {})
    assert net.observe(reached=False, failed=[1], now=now) == ("", {})   # one feed (one dead host) is no outage
    assert net.observe(reached=False, failed=[2], now=now) == ("down", {1: 2})   # forgive what was counted
    assert net.observe(reached=False, failed=[3], now=now) == ("", {}) and net.down_since == now
    assert net.observe(reached=False, failed=[], now=now) == ("", {})
    assert net.observe(reached=True, failed=[4], now=now) == ("up", {}) and net.down_since is None
    assert net.observe(reached=True, failed=[], now=now) == ("", {})
    assert net.observe(reached=False, failed=[5, 6], now=now) == ("down", {})   # two feeds in one round


TTL_FEED = (b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
            b"<link>https://t.example/</link><description>d</description><ttl>90</ttl>"
            b"<item><title>Weather</title><link>https://t.example/1</link><guid>t1</guid></item>"
            b"</channel></rss>")


def test_rss_ttl_is_read_by_both_parsers():
    from monitor.parse import parse_feed

    assert parse_feed(TTL_FEED, "https://t.example/rss").ttl_minutes == 90  # the fast path
    latin = TTL_FEED.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')  # goes to feedparser
    assert parse_feed(latin, "https://t.example/rss").ttl_minutes == 90
    assert parse_feed(TTL_FEED.replace(b"<ttl>90</ttl>", b"<ttl>-5</ttl>"), "https://t.example/rss").ttl_minutes is None


def test_ttl_lengthens_the_interval_within_bounds(feed_server, receiver, sqlite_url, clock):
    url = feed_server.add("/ttl.xml", TTL_FEED)
    s = settings([url], receiver, sqlite_url, polling={"adaptive": False, "max_interval_minutes": 60})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            polls = []
            for _ in range(24):  # two hours in 5-minute ticks
                clock.advance(minutes=5)
                before = feed_server.hits["/ttl.xml"]
                await m.poll()
                if feed_server.hits["/ttl.xml"] > before:
                    polls.append(clock.now())
            return polls

    polls = asyncio.run(scenario())
    # every 15 minutes without <ttl>; <ttl>90</ttl> asks for 90, capped by max_interval_minutes = 60
    assert 1 <= len(polls) <= 2


def _published(name: str, n: int) -> bytes:
    """A feed holding the latest ten of ``n`` items published so far (undated, distinct links)."""
    items = "".join(f"<item><title>{name} bulletin {i}</title><link>https://{name}.example/{i}</link>"
                    f"<guid>{name}-{i}</guid></item>" for i in range(max(0, n - 10), n))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{name}</title>'
            f"<link>https://{name}.example/</link><description>d</description>{items}</channel></rss>").encode()


async def _scheduled(m, clock, feed_server):
    """Minutes from now to the next poll of each feed polled successfully at this tick, by path,
    and the time the next feed is due."""
    now = clock.now()
    feeds = await m.deps.call_store(m.deps.store.list_feeds)
    return ({f.url.removeprefix(feed_server.url("")): (f.next_poll_at - now).total_seconds() / 60
             for f in feeds if f.last_success_at == now}, min(f.next_poll_at for f in feeds))


def test_adaptive_polling_follows_each_feed_rhythm_within_the_bounds(feed_server, receiver, sqlite_url, clock):
    """Feeds publishing every 4 minutes, every hour and every 5 hours, polled over 14 hours (the
    clock jumps from one due time to the next): each next poll moves from the 15-minute default
    toward half the feed's rhythm, and is never set outside [min_interval_minutes,
    max_interval_minutes], jitter included."""
    every = {"/fast.xml": 4, "/hourly.xml": 60, "/slow.xml": 300}   # minutes between new items
    urls = [feed_server.add(path, _published(path[1:-4], 1)) for path in every]
    s = settings(urls, receiver, sqlite_url, polling={"max_age_days": 100000, "min_interval_minutes": 5,
                                                      "max_interval_minutes": 120})
    start = clock.now()

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0, rng=random.Random(6)) as m:
            scheduled: dict[str, list[tuple[float, float]]] = {path: [] for path in every}
            while (minutes := (clock.now() - start).total_seconds() / 60) < 14 * 60:
                for path, gap in every.items():
                    feed_server.routes[path].body = _published(path[1:-4], 1 + int(minutes // gap))
                await m.poll()
                intervals, due = await _scheduled(m, clock, feed_server)
                for path, interval in intervals.items():
                    scheduled[path].append((minutes, interval))
                clock.set(due)
            return scheduled

    scheduled = asyncio.run(scenario())
    for path, intervals in scheduled.items():
        assert all(5 <= i <= 120 for _, i in intervals), (path, intervals)
        assert intervals[0][1] <= 16.5, (path, intervals)   # the default, until a rhythm is seen
    late = {path: [i for at, i in intervals if at >= 10 * 60] for path, intervals in scheduled.items()}
    assert late["/fast.xml"] and all(i <= 5.5 for i in late["/fast.xml"])         # half of 4 min, floored at 5
    assert late["/slow.xml"] and all(i >= 108 for i in late["/slow.xml"])          # half of 5 h, capped at 2 h
    hourly = sorted(late["/hourly.xml"])                                            # half of an hour
    assert len(hourly) >= 6 and all(18 <= i <= 45 for i in hourly) and 25 <= hourly[len(hourly) // 2] <= 35, hourly


def test_a_cache_control_max_age_is_waited_out_jitter_included(feed_server, receiver, sqlite_url, clock):
    """A feed answering ``Cache-Control: max-age=3600`` (on its 200 and, as HTTP asks, on its 304s)
    is next polled at or after the hour, never before, whichever way the jitter falls."""
    cached = {"/etag.xml": True, "/no-etag.xml": False}   # 304 answers, or the same 200 every time
    urls = [feed_server.add(path, _published(path[1:-4], 3), etag=etag,
                            headers={"Cache-Control": "public, max-age=3600"}) for path, etag in cached.items()]
    s = settings(urls, receiver, sqlite_url, polling={"max_age_days": 100000})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0, rng=random.Random(6)) as m:
            scheduled: dict[str, list[float]] = {path: [] for path in cached}
            polled: dict[str, list[datetime]] = {path: [] for path in cached}
            for _ in range(12 * 60):   # 12 hours in 1-minute ticks
                before = {path: feed_server.hits[path] for path in cached}
                await m.poll()
                for path, interval in (await _scheduled(m, clock, feed_server))[0].items():
                    scheduled[path].append(interval)
                for path in cached:
                    if feed_server.hits[path] > before[path]:
                        polled[path].append(clock.now())
                clock.advance(minutes=1)
            return scheduled, polled

    scheduled, polled = asyncio.run(scenario())
    statuses = [r for r in feed_server.requests if r["path"] == "/etag.xml" and "If-None-Match" in r["headers"]]
    assert statuses, "the etag feed was never asked conditionally"
    for path in cached:
        assert len(polled[path]) >= 10 and all(60 <= i <= 66 for i in scheduled[path]), (path, scheduled[path])
        gaps = [(b - a).total_seconds() / 60 for a, b in zip(polled[path], polled[path][1:], strict=False)]
        assert all(60 <= g <= 67 for g in gaps), (path, gaps)


def test_a_round_cancelled_at_shutdown_releases_its_leases(feed_server, receiver, db_url, clock):
    """SIGTERM mid-round cancels the poll: the feeds not polled are let go at once (compare-and-set,
    so a lease another worker took since is untouched), and a restart polls them without waiting
    for their lease to run out."""
    body = (FEEDS / "openai_en.xml").read_bytes()
    fast = feed_server.add("/fast.xml", body)
    slow = [feed_server.add(f"/slow{i}.xml", body, delay=3.0) for i in range(3)]
    s = settings([fast, *slow], receiver, db_url, polling={"max_age_days": 100000, "lease_seconds": 60})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            store = m.deps.store
            task = asyncio.ensure_future(m.poll())
            while not (sum(feed_server.in_flight.values()) == 3 and
                       any(f.last_success_at for f in await m.deps.call_store(store.list_feeds))):
                await asyncio.sleep(0.02)
            # another worker takes /slow0.xml over (as if our lease had run out): its lease is newer
            taken = await m.deps.call_store(store.claim_due_feeds, clock.now() + timedelta(seconds=61),
                                            lease=timedelta(seconds=60), limit=1)
            assert [f.url for f in taken] == [slow[0]]
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        for path in ("/slow0.xml", "/slow1.xml", "/slow2.xml"):
            feed_server.routes[path].delay = 0
        before = dict(feed_server.hits)
        async with make_monitor(s, clock=clock, parse_workers=0) as m:   # the restart, at the same moment
            report = await m.poll()
        return before, report

    before, report = asyncio.run(scenario())
    assert sorted(o.url for o in report.feeds) == slow[1:]   # released; /fast.xml recorded; /slow0.xml not ours
    assert feed_server.hits["/slow0.xml"] == before["/slow0.xml"]
    assert feed_server.hits["/fast.xml"] == before["/fast.xml"]


def test_a_tick_during_a_long_round_is_skipped_quietly(feed_server, receiver, sqlite_url, clock, caplog):
    body = (FEEDS / "openai_en.xml").read_bytes()
    s = settings([feed_server.add("/slow.xml", body, delay=1.0)], receiver, sqlite_url,
                 polling={"max_age_days": 100000})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            d = Daemon(m)
            round_ = asyncio.ensure_future(d.poll_job())
            while not feed_server.in_flight["127.0.0.1"]:
                await asyncio.sleep(0.02)
            await d.poll_job()   # the next tick: returns at once, the round goes on
            await d.poll_job()
            assert not round_.done()
            await round_

    with caplog.at_level(logging.DEBUG, logger="monitor"):
        asyncio.run(scenario())
    assert feed_server.hits["/slow.xml"] == 1
    assert len([r for r in caplog.records if r.getMessage().startswith("poll tick skipped")]) == 2
    assert all(r.levelno == logging.DEBUG for r in caplog.records if "tick skipped" in r.getMessage())
    assert [r.getMessage() for r in caplog.records if "ticks skipped while it ran" in r.getMessage()] == [
        "poll round took 0s; 2 ticks skipped while it ran"]


def test_json_logs_carry_the_details_as_keys(tmp_path, feed_server, receiver):
    urls = serve_fixtures(feed_server)[:1]
    urls.append(feed_server.add("/broken.xml?key=SECRET7", b"oops", status=500, etag=False))
    cfg = write_config(tmp_path / "c.toml", config_dict(urls, receiver, f"sqlite:///{tmp_path / 'm.db'}"))
    lines = []
    for args in (("poll",), ("digest", "send", "daily")):
        proc = monitor("--config", str(cfg), "--log-format", "json", *args)
        lines += [json.loads(line) for line in proc.stderr.splitlines()]   # every line is one JSON object
    assert all({"ts", "level", "logger", "msg"} <= set(r) for r in lines)
    failed = [r for r in lines if r["msg"].startswith("feed failed")]
    assert len(failed) == 1 and failed[0]["level"] == "warning"
    assert {k: failed[0][k] for k in ("feed", "reason", "status", "failures")} == {
        "feed": f"http://127.0.0.1:{feed_server.port}/broken.xml?key=…", "reason": "http_status", "status": 500,
        "failures": 1}
    polled = [r for r in lines if r["msg"].startswith("feed polled")]
    assert len(polled) == 1 and polled[0]["new"] > 0 and polled[0]["feed"] == urls[0]
    delivered = {r["sink"]: r for r in lines if r["msg"].startswith("digest delivered")}
    assert set(delivered) == {"archive", "team-slack"}
    assert delivered["archive"]["digest"] == "daily" and delivered["archive"]["stories"] >= 1
    assert "SECRET7" not in json.dumps(lines) and receiver.url("/hook") not in json.dumps(lines)
