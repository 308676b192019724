"""``monitor demo``: the whole product in one command, offline. Serves the bundled sample feeds
on 127.0.0.1, polls them into a temporary SQLite database, prints the digest and writes it as
HTML; the last line printed is the HTML file's absolute path."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).parent
SAMPLES = {"/en.xml": "openai_en.xml", "/fr.xml": "openai_fr.xml", "/de.atom": "openai_de.atom"}


def _serve() -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            name = SAMPLES.get(self.path)
            body = (HERE / name).read_bytes() if name else b""
            self.send_response(200 if name else 404)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def run_demo(out: TextIO) -> int:
    from monitor.app import make_monitor
    from monitor.config import settings_from_dict
    from monitor.digest import render_html, render_text

    server, port = _serve()
    workdir = Path(tempfile.mkdtemp(prefix="monitor-demo-"))
    settings = settings_from_dict({
        "database": {"url": f"sqlite:///{workdir / 'demo.db'}"},
        "polling": {"max_age_days": 100_000},
        "feeds": [{"url": f"http://127.0.0.1:{port}{path}"} for path in SAMPLES],
        "topics": [{"name": "openai-money", "preset": "openai-funding-revenue"}],
        "sinks": {"demo": {"type": "webhook", "url": "http://127.0.0.1:9/unused"}},
        "digests": [{"name": "demo", "schedule": "0 8 * * *", "topics": ["openai-money"], "sinks": ["demo"]}],
    }, environ={})

    async def go() -> Any:
        async with make_monitor(settings, parse_workers=0) as m:
            report = await m.poll()
            out.write(report.summary() + "\n\n")
            return await m.preview("demo")

    try:
        digest = asyncio.run(go())
    finally:
        server.shutdown()
        server.server_close()
    out.write(render_text(digest))
    page = workdir / "digest.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>monitor demo</title></head><body>"
                    + render_html(digest) + "</body></html>\n", encoding="utf-8")
    out.write(f"\n{page.resolve()}\n")
    return 0
