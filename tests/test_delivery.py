"""Delivery end to end: the real outbox (SQLite), real local receivers (HTTP and SMTP), an
injected clock. Nothing of the project is patched; crashes are simulated by a store wrapper
handed in through ``make_monitor(store=...)``."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import cli
from monitor.app import make_monitor
from monitor.config import settings_from_dict
from monitor.store import open_store
from monitor.types import Event
from tests.delivery_support import Crash, CrashingStore, SmtpServer, seed_stories

SECRET = "whsec_dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQ="
FUNDING = Event(kind="funding", amount=40e9, currency="USD", status="completed")
ADVERSARIAL = Path(__file__).resolve().parents[2] / "shared" / "feeds" / "adversarial"


def run(coro):
    return asyncio.run(coro)


def config(receiver, db_url, *, smtp_port=None, digest_sinks=("archive", "team-slack"), feeds=(), max_stories=50,
           **over):
    sinks = {
        "archive": {"type": "webhook", "url": receiver.url("/hook"), "secret": SECRET, "timeout_seconds": 1},
        "team-slack": {"type": "slack", "webhook_url": receiver.url("/slack")},
        "ops": {"type": "webhook", "url": receiver.url("/ops")},
    }
    if smtp_port:
        sinks["mail"] = {"type": "email", "host": "127.0.0.1", "port": smtp_port, "security": "none",
                         "from": "monitor@example.org", "to": ["team@example.org"], "timeout_seconds": 5}
    d = {"database": {"url": db_url}, "server": {"listen": ""}, "polling": {"max_age_days": 100_000},
         "feeds": [{"url": u} for u in feeds],
         "topics": [{"name": "openai-money", "preset": "openai-funding-revenue"}], "sinks": sinks,
         "digests": [{"name": "daily", "schedule": "0 8 * * *", "topics": ["openai-money"],
                      "sinks": list(digest_sinks), "max_stories": max_stories}]}
    d.update(over)
    return settings_from_dict(d, environ={})


def routes(sinks=("archive", "team-slack")):
    return {"openai-money": [("daily", s) for s in sinks]}


def posts(receiver, path):
    return [p for p in receiver.posts if p["path"] == path]


def seed(settings, clock, stories, sinks=("archive", "team-slack"), **kw):
    store = open_store(settings.database_url)
    store.migrate()
    seed_stories(store, clock.now(), stories, routes(sinks), **kw)
    store.close()


def slack_texts(receiver):
    return [json.loads(p["body"])["text"] for p in posts(receiver, "/slack")]


# ---- retries --------------------------------------------------------------------------------------


def test_429_retry_after_is_honoured_then_exactly_one_delivery(receiver, sqlite_url, clock):
    s = config(receiver, sqlite_url)
    seed(s, clock, [("OpenAI raises $40B", FUNDING)])
    receiver.responses += [(429, {"Retry-After": "120"}, b"rate_limited")]

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            first = {o.sink: o for o in await m.send_digest("daily")}
            assert first["archive"].error.retry_after == 120 and not first["archive"].error.permanent
            assert first["team-slack"].error is None
            clock.advance(seconds=90)  # back-off at least Retry-After: nothing yet, new digests wait too
            assert [o.skipped for o in await m.send_digest("daily", retries_only=True) if o.sink == "archive"] \
                == ["nothing pending"]
            assert "waiting until" in [o.skipped for o in await m.send_digest("daily") if o.sink == "archive"][0]
            clock.advance(seconds=2 * 3600)
            again = {o.sink: o for o in await m.send_digest("daily", retries_only=True)}
            assert again["archive"].error is None and again["archive"].run_id == first["archive"].run_id
            assert all(o.skipped == "nothing pending" for o in await m.send_digest("daily"))

    run(scenario())
    hooks = posts(receiver, "/hook")
    assert len(hooks) == 2 and hooks[0]["headers"]["webhook-id"] == hooks[1]["headers"]["webhook-id"]
    assert hooks[0]["body"] == hooks[1]["body"]  # the stored bytes, re-signed with a fresh timestamp
    assert len(posts(receiver, "/slack")) == 1


def test_500_then_success_gives_exactly_one_delivery_per_sink(receiver, sqlite_url, clock, caplog):
    s = config(receiver, sqlite_url, digest_sinks=("team-slack",))
    seed(s, clock, [("OpenAI raises $40B", FUNDING), ("OpenAI revenue doubles", None)], sinks=("team-slack",))
    receiver.responses += [(500, {}, b"rollup_error"), (500, {}, b"rollup_error")]

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            assert (await m.send_digest("daily"))[0].error
            clock.advance(hours=3)
            assert (await m.send_digest("daily", retries_only=True))[0].error
            clock.advance(hours=3)
            assert (await m.send_digest("daily", retries_only=True))[0].error is None
            clock.advance(hours=3)
            assert (await m.send_digest("daily", retries_only=True))[0].skipped == "nothing pending"

    with caplog.at_level(logging.INFO, logger="monitor.delivery"):
        run(scenario())
    texts = slack_texts(receiver)
    assert len(texts) == 3 and texts[0] == texts[1] == texts[2]
    recovered = [r for r in caplog.records if r.getMessage().startswith("delivery recovered")]
    assert len(recovered) == 1 and recovered[0].levelno == logging.INFO
    assert "sink=team-slack" in recovered[0].getMessage() and "after 2 failed attempt(s)" in recovered[0].getMessage()


def test_timeout_is_retried_with_the_same_identity(receiver, sqlite_url, clock):
    s = config(receiver, sqlite_url, digest_sinks=("archive",))
    seed(s, clock, [("OpenAI raises $40B", FUNDING)], sinks=("archive",))
    receiver.delay = 1.5  # longer than the sink's 1 s timeout: the answer never comes

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            out = (await m.send_digest("daily"))[0]
            assert "timed out" in str(out.error) and not out.error.permanent
            receiver.delay = 0
            clock.advance(hours=3)
            assert (await m.send_digest("daily", retries_only=True))[0].error is None

    run(scenario())
    ids = {p["headers"]["webhook-id"] for p in posts(receiver, "/hook")}
    assert len(posts(receiver, "/hook")) == 2 and len(ids) == 1


def test_delivery_back_off_grows_between_attempts(receiver, sqlite_url, clock):
    s = config(receiver, sqlite_url, digest_sinks=("archive",))
    seed(s, clock, [("OpenAI raises $40B", FUNDING)], sinks=("archive",))

    async def scenario():
        delays = []
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            for attempt in range(5):
                receiver.responses.append((503, {}, b"busy"))
                out = await m.send_digest("daily", retries_only=attempt > 0)
                assert out[0].error and not out[0].error.permanent
                waiting = (await m.send_digest("daily"))[0].skipped
                until = datetime.strptime(re.search(r"waiting until (.+) UTC", waiting).group(1),
                                          "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
                delays.append((until - clock.now()).total_seconds())
                clock.set(until + timedelta(seconds=1))
        return delays

    delays = run(scenario())
    assert 29 <= delays[0] <= 60  # 1 min · 2^(n-1), jitter in the upper half
    assert all(later >= earlier - 1 for earlier, later in zip(delays, delays[1:], strict=False))
    assert delays[4] >= 8 * delays[0] - 8 and delays[4] <= 16 * 60
    assert len(posts(receiver, "/hook")) == 5


def test_one_dead_sink_never_blocks_another_and_is_reported_once_without_its_url(receiver, sqlite_url, clock,
                                                                                  caplog):
    s = config(receiver, sqlite_url, delivery={"alert_sink": "ops"})
    seed(s, clock, [("OpenAI raises $40B", FUNDING)])
    receiver.responses += [(200, {}, b"ok"), (410, {}, b"channel_is_archived")]  # archive first, then slack

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            out = {o.sink: o for o in await m.send_digest("daily")}
            assert out["archive"].error is None and out["team-slack"].error.permanent
            clock.advance(days=1)
            assert all(o.skipped == "nothing pending" for o in await m.send_digest("daily"))
            return m.deps.metrics.counters

    with caplog.at_level(logging.ERROR):
        counters = run(scenario())
    assert len(posts(receiver, "/slack")) == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len([e for e in errors if "permanently" in e]) == 1
    assert any("sink=team-slack" in e for e in errors)
    assert not any(receiver.url("/slack") in e or "/slack" in e for e in errors)
    alerts = [json.loads(p["body"]) for p in posts(receiver, "/ops")]
    assert len(alerts) == 1 and "team-slack" in alerts[0]["text"]
    assert counters['monitor_delivery_alerts_total{kind="permanent",sink="team-slack"}'] == 1


def test_a_dead_sink_is_reported_once_and_sinks_retry_resends_its_runs_with_their_ids(receiver, db_url, tmp_path,
                                                                                       clock, capsys):
    s = config(receiver, db_url, digest_sinks=("archive",), delivery={"alert_sink": "ops"})

    async def send(**kw):
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            return (await m.send_digest("daily", **kw))[0]

    first_ids = []
    for day in range(3):  # the endpoint is gone for three digests: three runs fail, one alert
        seed(s, clock, [(f"OpenAI story of day {day}", FUNDING)], sinks=("archive",), batch=f"day{day}")
        receiver.responses.append((410, {}, b"gone"))
        out = run(send())
        assert out.error.permanent
        first_ids.append(out.run_id)
        clock.advance(days=1)
    assert len(posts(receiver, "/ops")) == 1
    path = tmp_path / "config.toml"  # the same database and sink
    path.write_text(f'[database]\nurl = "{db_url}"\n[sinks.archive]\ntype = "webhook"\n'
                    f'url = "{receiver.url("/hook")}"\n')
    assert cli.main(["--config", str(path), "sinks", "retry", "archive"]) == 0
    assert capsys.readouterr().out.startswith("archive: 3 stories re-queued in 3 digest run(s)")
    out = run(send(retries_only=True))  # the daemon's retry job; oldest run first, then the others
    assert out.error is None
    assert run(send()).skipped == "nothing pending"
    resent = posts(receiver, "/hook")[3:]
    assert [p["headers"]["webhook-id"] for p in resent] == first_ids  # the same identity as before
    assert cli.main(["--config", str(path), "sinks", "retry", "archive"]) == 0
    assert capsys.readouterr().out.strip() == "archive: nothing failed"
    seed(s, clock, [("OpenAI story after the fix", FUNDING)], sinks=("archive",), batch="fixed")
    receiver.responses.append((404, {}, b"gone again"))
    assert run(send()).error.permanent
    assert len(posts(receiver, "/ops")) == 2  # it had recovered: a new death is reported again


def test_undelivered_past_the_configured_age_raises_one_alert(receiver, sqlite_url, clock, caplog):
    s = config(receiver, sqlite_url, digest_sinks=("archive",),
               delivery={"undelivered_alert_minutes": 30, "alert_sink": "ops"})
    seed(s, clock, [("OpenAI raises $40B", FUNDING)], sinks=("archive",))

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            for _ in range(6):  # fails for hours: retried with back-off, one alert in all
                receiver.responses.append((503, {}, b"busy"))
                await m.send_digest("daily", retries_only=True) if _ else await m.send_digest("daily")
                clock.advance(minutes=40)
            return m.deps.metrics.counters

    with caplog.at_level(logging.WARNING):
        counters = run(scenario())
    overdue = [r for r in caplog.records if "kind=overdue" in r.getMessage()]
    assert len(overdue) == 1 and overdue[0].levelno == logging.ERROR and "sink=archive" in overdue[0].getMessage()
    assert counters['monitor_delivery_alerts_total{kind="overdue",sink="archive"}'] == 1
    assert [json.loads(p["body"])["type"] for p in posts(receiver, "/ops")] == ["notice"]
    attempts = len(posts(receiver, "/hook"))
    assert 2 <= attempts <= 6  # back-off, not a tight loop


# ---- crash between a send and its commit (R1) -----------------------------------------------------


@pytest.mark.parametrize("crashing", ["archive", "team-slack", "mail"])
def test_crash_between_send_and_commit_resends_the_same_identity_and_nothing_else(receiver, sqlite_url, clock,
                                                                                  crashing):
    with SmtpServer() as smtp:
        s = config(receiver, sqlite_url, smtp_port=smtp.port, digest_sinks=("archive", "team-slack", "mail"))
        seed(s, clock, [("OpenAI raises $40B", FUNDING)], sinks=("archive", "team-slack", "mail"))
        real = open_store(s.database_url)
        crashing_store = CrashingStore(real, "mark_part_sent", sink=crashing)

        async def first_process():
            async with make_monitor(s, clock=clock, parse_workers=0, store=crashing_store) as m:
                await m.send_digest("daily")

        with pytest.raises(Crash):
            run(first_process())
        assert crashing_store.crashed == 1
        real.close()

        async def restarted():  # a new process; the dead one's lease has expired
            clock.advance(minutes=11)
            async with make_monitor(s, clock=clock, parse_workers=0) as m:
                out = {o.sink: o for o in await m.send_digest("daily")}
                assert out[crashing].error is None and out[crashing].messages == 1
                assert all(o.error is None for o in out.values())  # sinks after the crash: first send
                assert all(o.skipped == "nothing pending" for o in await m.send_digest("daily"))

        run(restarted())
        mails = smtp.handler.messages
    hooks, slacks = posts(receiver, "/hook"), slack_texts(receiver)
    counts = {"archive": len(hooks), "team-slack": len(slacks), "mail": len(mails)}
    assert counts == {n: 2 if n == crashing else 1 for n in counts}
    if crashing == "archive":
        assert hooks[0]["headers"]["webhook-id"] == hooks[1]["headers"]["webhook-id"]
        assert hooks[0]["body"] == hooks[1]["body"]
    elif crashing == "team-slack":
        assert slacks[0] == slacks[1] and re.search(r"\[digest [0-9a-f]{32}\]", slacks[0])
    else:
        ids = [email.message_from_bytes(m)["Message-ID"] for m in mails]
        assert ids[0] == ids[1] and ids[0].startswith("<digest-")


def test_crash_after_every_part_was_recorded_resends_nothing(receiver, sqlite_url, clock):
    s = config(receiver, sqlite_url)
    seed(s, clock, [("OpenAI raises $40B", FUNDING)])
    real = open_store(s.database_url)

    async def first_process():
        async with make_monitor(s, clock=clock, parse_workers=0, store=CrashingStore(real, "mark_run_sent")) as m:
            await m.send_digest("daily")

    with pytest.raises(Crash):
        run(first_process())
    real.close()

    async def restarted():
        clock.advance(minutes=11)
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            out = await m.send_digest("daily")
            by_sink = {o.sink: o for o in out}
            assert by_sink["archive"].messages == 0 and by_sink["archive"].error is None  # closed, not re-sent
            assert by_sink["team-slack"].messages == 1  # never reached before the crash
            assert all(o.skipped == "nothing pending" for o in await m.send_digest("daily"))

    run(restarted())
    assert len(posts(receiver, "/hook")) == 1


# ---- Slack: split, per-part retry, fallback, escaping ---------------------------------------------


def test_60_story_digest_is_split_within_limits_and_a_failed_part_alone_is_retried(receiver, sqlite_url, clock):
    s = config(receiver, sqlite_url, digest_sinks=("team-slack",), max_stories=100)   # all 60 listed
    seed(s, clock, [(f"OpenAI funding story number {i} " + "x" * 200, FUNDING) for i in range(60)],
         sinks=("team-slack",), n_sources=3)
    receiver.responses += [(200, {}, b"ok"), (500, {}, b"rollup_error")]

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            m.deps.sinks["team-slack"].min_interval = 0.05
            out = (await m.send_digest("daily"))[0]
            assert out.error and out.messages == 1
            clock.advance(hours=3)
            again = (await m.send_digest("daily", retries_only=True))[0]
            assert again.error is None and again.run_id == out.run_id

    run(scenario())
    bodies = [json.loads(p["body"]) for p in posts(receiver, "/slack")]
    parts = [b["blocks"][0]["text"]["text"] for b in bodies]
    assert len(parts) >= 3
    n = len(parts) - 1  # part 2 twice (failed, then retried), every other part once
    assert all(f"(part {i}/{n})" in parts[i - 1 + (i > 2)] for i in range(1, n + 1))
    assert parts[1] == parts[2] and len(set(parts)) == n
    for b in bodies:
        assert b["text"] and len(b["text"]) <= 4000 and len(b["blocks"]) <= 50
        for block in b["blocks"]:
            for t in [block.get("text", {}).get("text", "")] + [e["text"] for e in block.get("elements", [])]:
                assert len(t) <= 3000
        assert len(b["blocks"][0]["text"]["text"]) <= 150
    sections = {blk["text"]["text"] for b in bodies for blk in b["blocks"] if blk["type"] == "section"}
    assert len(sections) == 60


def test_invalid_blocks_gets_one_text_only_attempt(receiver, sqlite_url, clock, caplog):
    s = config(receiver, sqlite_url, digest_sinks=("team-slack",))
    seed(s, clock, [("OpenAI raises $40B", FUNDING)], sinks=("team-slack",))
    receiver.responses += [(400, {}, b"invalid_blocks")]

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            return (await m.send_digest("daily"))[0]

    with caplog.at_level(logging.ERROR):
        out = run(scenario())
    assert out.error is None
    bodies = [json.loads(p["body"]) for p in posts(receiver, "/slack")]
    assert len(bodies) == 2 and "blocks" in bodies[0] and set(bodies[1]) == {"text"}
    assert "OpenAI raises $40B" in bodies[1]["text"] and f"[digest {out.run_id}]" in bodies[1]["text"]
    shape = [r.getMessage() for r in caplog.records if "text only" in r.getMessage()]
    assert len(shape) == 1 and "blocks=" in shape[0] and "/slack" not in shape[0]


def test_invalid_payload_twice_is_permanent_after_two_requests(receiver, sqlite_url, clock):
    s = config(receiver, sqlite_url, digest_sinks=("team-slack",))
    seed(s, clock, [("OpenAI raises $40B", FUNDING)], sinks=("team-slack",))
    receiver.responses += [(400, {}, b"invalid_blocks"), (400, {}, b"invalid_payload")]

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            assert (await m.send_digest("daily"))[0].error.permanent
            clock.advance(days=1)
            await m.send_digest("daily", retries_only=True)
            await m.send_digest("daily")

    run(scenario())
    assert len(posts(receiver, "/slack")) == 2


def test_mention_injection_is_neutralized_through_the_real_pipeline(feed_server, receiver, sqlite_url, clock):
    url = feed_server.add("/slack.xml", (ADVERSARIAL / "slack_mrkdwn_injection.xml").read_bytes())
    s = config(receiver, sqlite_url, digest_sinks=("team-slack",), feeds=[url])

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            report = await m.poll()
            assert not report.failed
            return await m.send_digest("daily")

    out = run(scenario())
    assert out[0].error is None and out[0].stories >= 1
    raw = b"".join(p["body"] for p in posts(receiver, "/slack")).decode()
    assert "CONTROL" in raw
    texts = []
    for p in posts(receiver, "/slack"):
        body = json.loads(p["body"])
        texts.append(body["text"])
        for b in body["blocks"]:
            texts += [b.get("text", {}).get("text", "")] + [e.get("text", "") for e in b.get("elements", [])]
    for t in texts:
        for token in re.findall(r"<([^<>]*)>", t):  # every <…> is a link we built to the article
            assert re.match(r"https://news\.example/[^|<>\s]*\|", token), token
        for bad in ("<!channel>", "<!here>", "<!everyone>", "<@U123ABC456>", "<!subteam", "<#C0123456",
                    "<https://evil", "<javascript:", "<!date"):
            assert bad not in t


# ---- e-mail through the pipeline --------------------------------------------------------------------


def test_smtp_451_then_250_delivers_exactly_once(receiver, sqlite_url, clock):
    with SmtpServer() as smtp:
        s = config(receiver, sqlite_url, smtp_port=smtp.port, digest_sinks=("mail",))
        seed(s, clock, [("OpenAI raises $40B", FUNDING)], sinks=("mail",))
        smtp.handler.rcpt_codes.append("451 4.3.0 Try again later")

        async def scenario():
            async with make_monitor(s, clock=clock, parse_workers=0) as m:
                first = (await m.send_digest("daily"))[0]
                assert "451" in str(first.error) and not first.error.permanent
                clock.advance(hours=3)
                assert (await m.send_digest("daily", retries_only=True))[0].error is None
                assert (await m.send_digest("daily"))[0].skipped == "nothing pending"

        run(scenario())
        assert len(smtp.handler.messages) == 1


def test_smtp_550_is_reported_once_and_not_retried(receiver, sqlite_url, clock, caplog):
    with SmtpServer() as smtp:
        s = config(receiver, sqlite_url, smtp_port=smtp.port, digest_sinks=("mail", "archive"))
        seed(s, clock, [("OpenAI raises $40B", FUNDING)], sinks=("mail", "archive"))
        smtp.handler.rcpt_codes.append("550 5.1.1 No such user")

        async def scenario():
            async with make_monitor(s, clock=clock, parse_workers=0) as m:
                out = {o.sink: o for o in await m.send_digest("daily")}
                assert out["mail"].error.permanent and "550" in str(out["mail"].error)
                assert out["archive"].error is None
                clock.advance(days=1)
                assert all(o.skipped == "nothing pending" for o in await m.send_digest("daily"))

        with caplog.at_level(logging.ERROR):
            run(scenario())
        assert smtp.handler.messages == []
    errors = [r.getMessage() for r in caplog.records if "permanently" in r.getMessage()]
    assert len(errors) == 1 and "sink=mail" in errors[0] and "550" in errors[0]


def test_email_header_injection_through_the_real_pipeline(feed_server, receiver, sqlite_url, clock):
    url = feed_server.add("/mail.xml", (ADVERSARIAL / "email_header_injection.xml").read_bytes())
    with SmtpServer() as smtp:
        s = config(receiver, sqlite_url, smtp_port=smtp.port, digest_sinks=("mail",), feeds=[url])

        async def scenario():
            async with make_monitor(s, clock=clock, parse_workers=0) as m:
                await m.poll()
                return await m.send_digest("daily")

        out = run(scenario())
        assert out[0].error is None
        raw = smtp.handler.messages[0]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]
    subject = str(msg["Subject"])
    assert "\n" not in subject.replace("\n ", "") and "victim" not in (msg["To"] or "")
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert not re.search(r"^(Bcc|X-Injected|Content-Type: text/html)", header_block, re.M | re.I)
    html = msg.get_payload()[1].get_content()
    assert "<h1>injected" not in html
    assert "CONTROL" in msg.get_payload()[0].get_content()


# ---- urgent alerts ----------------------------------------------------------------------------------


def test_urgent_stories_go_out_after_the_poll_and_never_again_in_the_digest(receiver, sqlite_url, clock):
    urgent = {"kinds": ["funding"], "status": ["completed"], "min_amount_usd": 1e9}
    s = config(receiver, sqlite_url, digests=[{"name": "daily", "schedule": "0 8 * * *", "topics": ["openai-money"],
                                               "sinks": ["archive", "team-slack"], "urgent": urgent}])
    seed(s, clock, [("OpenAI closes $40B round", FUNDING),
                    ("OpenAI in talks for $10B", Event(kind="funding", amount=10e9, currency="USD", status="talks")),
                    ("OpenAI gets €2B", Event(kind="funding", amount=2e9, currency="EUR", status="completed")),
                    ("OpenAI revenue report", Event(kind="revenue", amount=13e9, currency="USD"))])

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()  # no feed is due; the urgent stories go out now
            urgent_posts = [json.loads(p["body"]) for p in posts(receiver, "/hook")]
            assert len(urgent_posts) == 1
            assert sorted(st["title"] for st in urgent_posts[0]["stories"]) == ["OpenAI closes $40B round",
                                                                                "OpenAI gets €2B"]
            assert len(posts(receiver, "/slack")) == 1
            await m.poll()  # nothing new: nothing more
            assert len(posts(receiver, "/hook")) == 1
            await m.send_digest("daily")

    run(scenario())
    hooks = [json.loads(p["body"]) for p in posts(receiver, "/hook")]
    assert len(hooks) == 2
    assert sorted(st["title"] for st in hooks[1]["stories"]) == ["OpenAI in talks for $10B", "OpenAI revenue report"]
    assert hooks[0]["id"] != hooks[1]["id"]
    slack = slack_texts(receiver)
    assert len(slack) == 2 and "OpenAI closes" not in slack[1]


# ---- manual sends (`monitor digest send`) -----------------------------------------------------------


def test_manual_send_skips_back_off_but_not_a_retry_after(receiver, db_url, clock):
    s = config(receiver, db_url, digest_sinks=("archive",))
    seed(s, clock, [("OpenAI raises $40B", FUNDING)], sinks=("archive",))
    receiver.responses += [(429, {"Retry-After": "120"}, b"slow down"), (500, {}, b"busy")]
    asked_until = clock.now().timestamp() + 120

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            assert (await m.send_digest("daily", manual=True))[0].error.retry_after == 120
            clock.advance(seconds=60)
            waiting = (await m.send_digest("daily", manual=True))[0]
            assert waiting.error is None and "asked to wait (Retry-After)" in waiting.skipped
            assert f"{datetime.fromtimestamp(asked_until, UTC):%Y-%m-%d %H:%M:%S} UTC" in waiting.skipped
            clock.advance(seconds=61)
            assert "500" in str((await m.send_digest("daily", manual=True))[0].error)  # ordinary back-off now
            assert "retry back-off" in (await m.send_digest("daily"))[0].skipped
            return await m.send_digest("daily", manual=True)  # ...which a manual send skips

    assert run(scenario())[0].error is None
    assert len(posts(receiver, "/hook")) == 3


def test_manual_send_says_when_a_dead_process_lease_holds_the_stories(receiver, db_url, clock):
    s = config(receiver, db_url, digest_sinks=("archive",))
    seed(s, clock, [("OpenAI raises $40B", FUNDING), ("OpenAI revenue doubles", None)], sinks=("archive",))
    real = open_store(s.database_url)

    async def dying():
        async with make_monitor(s, clock=clock, parse_workers=0, store=CrashingStore(real, "mark_part_sent")) as m:
            await m.send_digest("daily", manual=True)

    with pytest.raises(Crash):
        run(dying())
    real.close()
    lease_end = clock.now() + timedelta(minutes=10)

    async def restarted():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            held = (await m.send_digest("daily", manual=True))[0]
            clock.advance(minutes=11)
            return held, (await m.send_digest("daily", manual=True))[0]

    held, later = run(restarted())
    assert held.skipped.startswith("nothing sent: 2 stories are held by another send until "
                                   f"{lease_end:%Y-%m-%d %H:%M:%S} UTC")
    assert later.error is None and later.stories == 2


def test_cli_digest_send_tells_permanent_from_transient_failures(tmp_path, receiver, clock, capsys):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'''
[database]
url = "{db}"
[server]
listen = ""
[[topics]]
name = "openai-money"
preset = "openai-funding-revenue"
[sinks.gone]
type = "webhook"
url = "{receiver.url('/gone')}"
[sinks.busy]
type = "webhook"
url = "{receiver.url('/busy')}"
[[digests]]
name = "daily"
schedule = "0 8 * * *"
sinks = ["gone", "busy"]
''')
    s = settings_from_dict({"database": {"url": db}, "digests": [], "sinks": {}}, environ={})
    seed(s, clock, [("OpenAI raises $40B", FUNDING)], sinks=("gone", "busy"))
    receiver.responses += [(410, {}, b"gone"), (503, {}, b"busy")]
    assert cli.main(["--config", str(cfg), "digest", "send", "daily"]) == 1
    out = capsys.readouterr().out
    assert "gone: failed permanently (1 stories marked failed, not retried; `monitor sinks retry gone`" in out
    assert "busy: failed (1 stories stay pending, retried with back-off)" in out


def test_sinks_test_keeps_the_smtp_answer_of_refused_recipients(tmp_path, capsys):
    with SmtpServer() as smtp:
        smtp.handler.rcpt_codes.append("451 4.3.0 Mailbox busy, try later")
        cfg = tmp_path / "config.toml"
        cfg.write_text(f'''
[database]
url = "sqlite:///{tmp_path / 'm.db'}"
[sinks.mail]
type = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "none"
from = "monitor@example.org"
to = ["team@example.org"]
''')
        assert cli.main(["--config", str(cfg), "sinks", "test", "mail"]) == 1
    out = capsys.readouterr().out
    assert "every recipient refused (SMTP 451 4.3.0 Mailbox busy, try later)" in out
