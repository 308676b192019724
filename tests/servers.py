"""Real local servers for tests: a feed server and a webhook receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    delay: float = 0.0   # seconds slept before answering (counted as in flight)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.connections: set[socket.socket] = set()   # open client connections (keep-alive included)
        self._conn_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up early (timeouts) are part of the tests

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def stop(self) -> None:
        """Stop listening and drop every open connection: the server is gone, as in an outage."""
        self.shutdown()
        with self._conn_lock:
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server_close()


class FeedServer:
    """Serves ``routes`` (path -> Route) with ETag/304 support; counts requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []
        self.peers: list[int] = []   # client port of every request: one per keep-alive connection
        self.in_flight: Counter[str] = Counter()       # requests being answered now, by Host name
        self.max_in_flight: Counter[str] = Counter()   # the most seen at once, by Host name
        self.max_in_flight_total = 0
        self.on_request: Any = None   # called with the path of each request before it is answered
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
                with outer._lock:
                    outer.in_flight[host] += 1
                    outer.max_in_flight[host] = max(outer.max_in_flight[host], outer.in_flight[host])
                    outer.max_in_flight_total = max(outer.max_in_flight_total, sum(outer.in_flight.values()))
                try:
                    self._answer()
                finally:
                    with outer._lock:
                        outer.in_flight[host] -= 1

            def _answer(self) -> None:
                path = self.path
                if outer.on_request is not None:
                    outer.on_request(path)
                with outer._lock:
                    outer.peers.append(self.client_address[1])
                    outer.hits[path] += 1
                    outer.requests.append({"path": path, "headers": dict(self.headers)})
                route = outer.routes.get(path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.delay:
                    time.sleep(route.delay)
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                if route.status == 200 and route.etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    for k, v in route.headers.items():   # what a 200 would carry, as RFC 9110 15.4.5 asks
                        if k.lower() in ("cache-control", "expires", "vary", "content-location"):
                            self.send_header(k, v)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.etag and route.status == 200:
                    self.send_header("ETag", etag)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(route.body)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes, **kw: Any) -> str:
        self.routes[path] = Route(body=body, **kw)
        return self.url(path)

    def start(self) -> FeedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.stop()


class WebhookReceiver:
    """Records every POST. ``responses`` is a queue of (status, headers, body) answers; when
    empty it answers 200 "ok". ``delay`` seconds are slept before answering."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.responses: list[tuple[int, dict[str, str], bytes]] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with outer._lock:
                    outer.posts.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                        "body": body})
                    answer = outer.responses.pop(0) if outer.responses else (200, {}, b"ok")
                if outer.delay:
                    time.sleep(outer.delay)
                status, headers, payload = answer
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def json_posts(self) -> list[dict[str, Any]]:
        return [json.loads(p["body"]) for p in self.posts]

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.stop()
