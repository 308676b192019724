"""End to end in one process: real feed server, real webhook receiver, real database,
an injected clock. Nothing of the project is patched."""

from __future__ import annotations

import asyncio

import pytest

from monitor.app import make_monitor
from monitor.errors import DeliveryError
from tests.helpers import NEGATIVE_TITLES, POSITIVE_TITLES, all_source_titles, serve_fixtures, settings


def run(coro):
    return asyncio.run(coro)


async def poll_and_send(monitor, *, all_feeds=False):
    report = await monitor.poll(all_feeds=all_feeds)
    outcomes = await monitor.send_digest("daily")
    return report, outcomes


def hook_posts(receiver):
    return [p for p in receiver.posts if p["path"] == "/hook"]


def test_poll_and_digest_deliver_each_story_once(feed_server, receiver, db_url, clock):
    urls = serve_fixtures(feed_server)
    s = settings(urls, receiver, db_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            report, outcomes = await poll_and_send(m)
            assert not report.failed, [str(f.error) for f in report.failed]
            assert sum(f.new_articles for f in report.feeds) > 10
            assert {o.sink for o in outcomes if o.run_id} == {"archive", "team-slack"}
            clock.advance(hours=1)
            report2, outcomes2 = await poll_and_send(m, all_feeds=True)
            assert sum(f.new_articles for f in report2.feeds) == 0
            assert all(f.not_modified for f in report2.feeds)
            assert all(o.skipped == "nothing pending" for o in outcomes2)

    run(scenario())
    posts = hook_posts(receiver)
    assert len(posts) == 1
    payload = receiver.json_posts()[receiver.posts.index(posts[0])]
    titles = all_source_titles(payload)
    for t in POSITIVE_TITLES:
        assert sum(t in x for x in titles) == 1, (t, titles)
    for t in NEGATIVE_TITLES:
        assert not any(t in x for x in titles), (t, titles)
    assert len(payload["stories"]) <= len(POSITIVE_TITLES)
    slack = [p for p in receiver.posts if p["path"] == "/slack"]
    assert slack and all(b"OpenAI" in p["body"] for p in slack)


def test_failed_send_stays_pending_and_retries_with_the_same_id(feed_server, receiver, sqlite_url, clock):
    urls = serve_fixtures(feed_server)
    s = settings(urls, receiver, sqlite_url)
    receiver.responses.append((500, {}, b"rollup_error"))

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            first = await m.send_digest("daily")
            failed = [o for o in first if o.sink == "archive"][0]
            assert isinstance(failed.error, DeliveryError)
            # back-off: a scheduled retry right away sends nothing
            assert [o.skipped for o in await m.send_digest("daily", retries_only=True)
                    if o.sink == "archive"] == ["nothing pending"]
            clock.advance(hours=3)
            retried = [o for o in await m.send_digest("daily", retries_only=True) if o.sink == "archive"][0]
            assert retried.run_id == failed.run_id and retried.error is None
            assert all(o.skipped for o in await m.send_digest("daily"))

    run(scenario())
    ids = [p["headers"]["webhook-id"] for p in hook_posts(receiver)]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_permanent_failure_is_not_retried(feed_server, receiver, sqlite_url, clock):
    urls = serve_fixtures(feed_server)
    s = settings(urls, receiver, sqlite_url)
    receiver.responses.append((410, {}, b"channel_is_archived"))

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            out = [o for o in await m.send_digest("daily") if o.sink == "archive"][0]
            assert out.error.permanent
            clock.advance(days=1)
            assert [o.skipped for o in await m.send_digest("daily") if o.sink == "archive"] == ["nothing pending"]

    run(scenario())
    assert len(hook_posts(receiver)) == 1


def test_sink_without_its_variable_keeps_deliveries_pending(feed_server, receiver, sqlite_url, clock, caplog):
    urls = serve_fixtures(feed_server)
    s = settings(urls, None, sqlite_url)  # both sinks reference unset variables

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            await m.poll()
            outs = await m.send_digest("daily")
            assert all("HOOK_URL" in o.skipped or "SLACK_WEBHOOK_URL" in o.skipped for o in outs)
            return await m.preview("daily")

    with caplog.at_level("WARNING"):
        preview = run(scenario())
    assert preview.stories
    nowhere = [r for r in caplog.records if "nowhere to go" in r.getMessage()]
    assert len(nowhere) == 1


def test_one_broken_feed_never_stops_the_others(feed_server, receiver, sqlite_url, clock):
    urls = serve_fixtures(feed_server)
    broken = [feed_server.add("/500", b"oops", status=500, etag=False),
              feed_server.add("/html", b"<!doctype html><html><body>Just a moment</body></html>",
                              content_type="text/html"),
              feed_server.add("/empty", b""),
              feed_server.url("/missing")]
    s = settings(broken + urls, receiver, sqlite_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            report = await m.poll()
            reasons = sorted(getattr(f.error, "reason", "?") for f in report.failed)
            assert reasons == ["empty_body", "http_status", "http_status", "not_a_feed"]
            assert sum(f.new_articles for f in report.feeds) > 10
            # failing feeds back off: not due again right away
            clock.advance(minutes=1)
            again = await m.poll()
            assert again.feeds == ()

    run(scenario())


def test_process_pool_parsing(feed_server, receiver, sqlite_url, clock):
    urls = serve_fixtures(feed_server)
    s = settings(urls, receiver, sqlite_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=1) as m:
            report = await m.poll()
            assert not report.failed and sum(f.new_articles for f in report.feeds) > 10

    run(scenario())


@pytest.mark.parametrize("old_days, delivered", [(10, True), (400, False)])
def test_old_articles_are_stored_but_not_delivered(feed_server, receiver, sqlite_url, clock, old_days, delivered):
    from datetime import timedelta

    urls = serve_fixtures(feed_server)[:1]
    s = settings(urls, receiver, sqlite_url, polling={"max_age_days": 30})
    clock.set(clock.now().replace(year=2025, month=3, day=31) + timedelta(days=old_days))

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            report = await m.poll()
            assert report.feeds[0].new_articles == 4
            return await m.send_digest("daily")

    outs = run(scenario())
    assert any(o.run_id for o in outs) is delivered


_TINY_FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://example.org/</link>'
              b'<item><title>City council approves new bike lanes</title><link>https://example.org/%d</link>'
              b'<guid>%d</guid></item></channel></rss>')


def _tiny_feeds(feed_server, prefix, n):
    paths = [f"/{prefix}{i}.xml" for i in range(n)]
    return paths, [feed_server.add(p, _TINY_FEED % (i, i)) for i, p in enumerate(paths)]


def _one_fetch_at_a_time(urls, receiver, db_url):
    """One worker, one fetch at a time; a 10 s deadline, so a lease of 2 x 10 + 30 = 50 s."""
    return settings(urls, receiver, db_url, polling={"max_age_days": 100_000, "timeout_seconds": 10,
                                                     "concurrency": 1, "per_host_concurrency": 1})


def test_per_host_limit_holds_and_a_busy_host_never_holds_up_another(feed_server, receiver, sqlite_url, clock):
    # two host names for the same loopback server: 127.0.0.1 and localhost, every answer slow
    per_host, n = 2, 8
    urls = []
    for i in range(n):    # all of the first host's feeds are claimed before the second's
        urls.append(feed_server.add(f"/a{i}.xml", _TINY_FEED % (i, i), delay=0.3))
    for i in range(n):
        feed_server.add(f"/b{i}.xml", _TINY_FEED % (100 + i, 100 + i), delay=0.3)
        urls.append(feed_server.url(f"/b{i}.xml").replace("127.0.0.1", "localhost"))
    s = settings(urls, receiver, sqlite_url, polling={"max_age_days": 100_000, "timeout_seconds": 10,
                                                       "concurrency": 8, "per_host_concurrency": per_host})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            return await m.poll()

    report = run(scenario())
    assert not report.failed, [str(f.error) for f in report.failed]
    assert len(report.feeds) == 2 * n and sorted(feed_server.hits.values()) == [1] * (2 * n)
    assert feed_server.max_in_flight == {"127.0.0.1": per_host, "localhost": per_host}
    # the second host starts at once: its feeds do not wait behind workers parked on the first
    first = [r["headers"]["Host"].split(":")[0] for r in feed_server.requests[:2 * per_host]]
    assert sorted(first) == ["127.0.0.1"] * per_host + ["localhost"] * per_host, first


def test_a_feed_waiting_past_its_lease_is_renewed_or_left_to_the_worker_that_took_it(feed_server, receiver,
                                                                                      db_url, clock):
    # one worker, one fetch at a time; every request takes "30 s" of the injected clock. The lease
    # is 2 x 10 + 30 = 50 s and must still cover 10 + 12.5 s when a fetch starts.
    from datetime import timedelta

    from monitor.store.sql import SqlStore

    paths, urls = _tiny_feeds(feed_server, "l", 6)
    s = _one_fetch_at_a_time(urls, receiver, db_url)
    other = SqlStore(s.database_url)
    taken: list[int] = []

    def on_request(path):
        clock.advance(seconds=30)
        if path == paths[1]:   # meanwhile another worker claims whatever lease has run out
            taken.extend(f.id for f in other.claim_due_feeds(clock.now(), lease=timedelta(seconds=50)))

    feed_server.on_request = on_request

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            return await m.poll()

    report = run(scenario())
    other.close()
    # the second feed started 30 s after the claim: its lease was renewed, so the other worker
    # could not take it; the rest waited past their lease, were taken, and were left alone here
    assert [f.url for f in report.feeds] == urls[:2]
    assert len(taken) == 4
    assert [feed_server.hits[p] for p in paths] == [1, 1, 0, 0, 0, 0]


def test_unchanged_feeds_are_recorded_within_a_second_not_at_the_end_of_the_round(feed_server, receiver,
                                                                                    sqlite_url, clock):
    # a 304 moves the feed's next poll; written late, the feed looks due (and, once its lease has
    # run out, free) to every other worker in the meantime
    from monitor.store.sql import SqlStore

    paths, urls = _tiny_feeds(feed_server, "u", 4)
    s = _one_fetch_at_a_time(urls, receiver, sqlite_url)
    other = SqlStore(s.database_url)
    seen: dict[str, object] = {}
    order: list[str] = []

    def on_request(path):
        clock.advance(seconds=2)
        order.append(feed_server.url(path))
        if len(order) == len(paths):   # the round's last fetch
            seen.update({f.url: f.next_poll_at for f in other.list_feeds()})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            clock.advance(hours=2)
            before = {f.url: f.next_poll_at for f in other.list_feeds()}
            feed_server.on_request = on_request
            report = await m.poll()
            assert all(f.not_modified for f in report.feeds) and len(report.feeds) == 4
            return before

    before = run(scenario())
    other.close()
    # when the last feed was fetched, the first ones' new schedules were already in the database
    assert all(seen[u] != before[u] for u in order[:2]), (order, seen, before)


def test_a_feed_that_failed_early_in_a_long_round_is_not_fetched_again_in_it(feed_server, receiver, sqlite_url,
                                                                              clock):
    # failures are written at the end of the round; in a round longer than the lease a later claim
    # finds the failed feed due and unleased again
    paths = [f"/r{i}.xml" for i in range(30)]
    urls = [feed_server.add(p, b"oops", status=500, etag=False) if i == 0 else feed_server.add(p, _TINY_FEED % (i, i))
            for i, p in enumerate(paths)]
    s = _one_fetch_at_a_time(urls, receiver, sqlite_url)
    feed_server.on_request = lambda path: clock.advance(seconds=30)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            return await m.poll()

    report = run(scenario())
    assert [feed_server.hits[p] for p in paths] == [1] * 30
    assert len(report.feeds) == 30 and len(report.failed) == 1
