"""Daemon health: dead-man alert, gauges, /healthz and /metrics, the source-health footer."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import httpx

from monitor.app import make_monitor
from monitor.scheduler import Daemon
from tests.helpers import serve_fixtures, settings
from tests.test_cli import _start_daemon, _stop, _wait, config_dict, write_config


def test_dead_man_alert_once_and_recovery(feed_server, receiver, sqlite_url, clock, caplog):
    good = serve_fixtures(feed_server)[:1]
    s = settings(good, receiver, sqlite_url, polling={"max_age_days": 100000, "dead_man_hours": 1})

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            d = Daemon(m)
            await d.poll_job()
            assert d._last_gauges["monitor_dead_man"] == 0
            feed_server.routes["/en.xml"].status = 500
            clock.advance(hours=2)
            await d.poll_job()
            clock.advance(minutes=30)
            await d.poll_job()
            assert d._health()["dead_man"] is True
            assert d._last_gauges["monitor_seconds_since_successful_poll"] >= 2 * 3600
            feed_server.routes["/en.xml"].status = 200
            clock.advance(hours=7)
            await d.poll_job()
            assert d._health()["dead_man"] is False

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    alerts = [r for r in caplog.records if "dead-man alert:" in r.getMessage()]
    assert len(alerts) == 1 and alerts[0].levelno == logging.ERROR
    assert any("recovered" in r.getMessage() for r in caplog.records)


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


def test_run_serves_healthz_and_metrics(tmp_path, feed_server, receiver):
    port = _free_port()
    urls = serve_fixtures(feed_server)
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
        time.sleep(1.5)  # one tick later the gauges are filled
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        for name in ("monitor_polls_total", "monitor_articles_new_total", "monitor_feeds ",
                     "monitor_pending_deliveries", "monitor_oldest_pending_delivery_age_seconds",
                     "monitor_dead_man 0"):
            assert name in metrics, name
        assert httpx.get(f"http://127.0.0.1:{port}/nope", timeout=2).status_code == 404
    finally:
        code, err = _stop(proc)
    assert code == 0, err
    assert receiver.url() not in err and f"127.0.0.1:{receiver.port}/hook" not in err
