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


def render_metrics(metrics: Metrics, gauges: dict[str, float]) -> str:
    lines = []
    for key, value in sorted(metrics.counters.items()):
        lines.append(f"{key} {value:g}")
    for key, value in sorted(gauges.items()):
        lines.append(f"{key} {value:g}")
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
