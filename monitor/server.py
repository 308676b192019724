"""``/healthz`` and ``/metrics`` (Prometheus text format) while ``monitor run`` runs.
A tiny asyncio HTTP/1.0 server: loopback by default, GET only, no request bodies."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from monitor.pipeline import Metrics

log = logging.getLogger(__name__)


HELP = {
    "monitor_polls_total": "Poll rounds run by this process.",
    "monitor_feed_polls_total": "Feed polls (fetches) by this process.",
    "monitor_feed_not_modified_total": "Feed polls answered 304 Not Modified.",
    "monitor_feed_errors_total": "Failed feed polls, by feed (redacted URL) and reason.",
    "monitor_network_outages_total": "Outages of our own network recognised (feed failures not counted meanwhile).",
    "monitor_articles_new_total": "New articles stored.",
    "monitor_matches_total": "New topic matches.",
    "monitor_stories_new_total": "New stories.",
    "monitor_deliveries_total": "Digest runs sent or failed, by sink and outcome.",
    "monitor_delivery_alerts_total": "Delivery alerts raised, by sink and kind.",
    "monitor_dead_man_alerts_total": "Dead-man alerts raised by this process.",
    "monitor_feeds": "Enabled feeds.",
    "monitor_feeds_failing": "Enabled feeds whose consecutive failure count is above zero.",
    "monitor_feed_consecutive_failures": "Consecutive failed polls of a failing feed (redacted URL).",
    "monitor_feed_failing_since_seconds": "Seconds since a failing feed's current run of failures began.",
    "monitor_articles": "Articles in the database.",
    "monitor_stories": "Stories in the database.",
    "monitor_pending_deliveries": "Deliveries not yet accepted by their sink.",
    "monitor_oldest_pending_delivery_age_seconds": "Age of the oldest pending delivery (0 when none).",
    "monitor_seconds_since_successful_poll": "Seconds since any feed was last polled successfully.",
    "monitor_dead_man": "1 while the dead-man alert is raised.",
}


def render_metrics(metrics: Metrics, gauges: dict[str, float]) -> str:
    """Prometheus text format 0.0.4: each family once, with ``# HELP`` and ``# TYPE``."""
    families: dict[str, tuple[str, list[str]]] = {}
    for kind, values in (("counter", metrics.counters), ("gauge", gauges)):
        for key, value in sorted(values.items()):
            name = key.partition("{")[0]
            families.setdefault(name, (kind, []))[1].append(f"{key} {value:g}")
    lines = []
    for name, (kind, samples) in sorted(families.items()):
        if name in HELP:
            lines.append(f"# HELP {name} {HELP[name]}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(samples)
    return "\n".join(lines) + "\n"


async def serve(listen: str, metrics: Metrics, gauges: Callable[[], dict[str, float]],
                health: Callable[[], dict[str, Any]]) -> asyncio.AbstractServer:
    host, _, port = listen.rpartition(":")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass
            parts = line.decode("latin-1").split()
            path = parts[1] if len(parts) > 1 else "/"
            if path == "/healthz":
                info = health()
                body = json.dumps(info).encode()
                status = "200 OK" if info.get("status") == "ok" else "503 Service Unavailable"
                ctype = "application/json"
            elif path == "/metrics":
                body = render_metrics(metrics, gauges()).encode()
                status, ctype = "200 OK", "text/plain; version=0.0.4"
            else:
                body, status, ctype = b"not found\n", "404 Not Found", "text/plain"
            writer.write(f"HTTP/1.0 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                         f"Connection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host or "127.0.0.1", int(port))
    log.info("health server listening on %s", listen)
    return server
