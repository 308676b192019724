from __future__ import annotations

import asyncio

import httpx
import pytest

from monitor.errors import FetchError
from monitor.fetch import Fetcher, FetchPolicy, make_transport, parse_retry_after


def run(coro):
    return asyncio.run(coro)


async def fetch(url, policy=None, transport=None, **kw):
    transport = transport or make_transport()
    try:
        return await Fetcher(transport, policy).fetch(url, **kw)
    finally:
        await transport.aclose()


def test_conditional_get_against_real_server(feed_server):
    url = feed_server.add("/a.xml", b"<rss version='2.0'><channel><title>t</title></channel></rss>")
    first = run(fetch(url))
    assert first.status == 200 and first.etag and not first.not_modified
    second = run(fetch(url, etag=first.etag))
    assert second.not_modified
    sent = feed_server.requests[-1]["headers"]
    assert sent["If-None-Match"] == first.etag
    assert sent["User-Agent"].startswith("monitor/")
    assert "application/rss+xml" in sent["Accept"]
    # only the encodings the fetcher inflates with a bound on the output (a bomb stops at the cap)
    assert sent["Accept-Encoding"] == "gzip, deflate"


def test_size_cap_counts_decoded_bytes():
    import gzip

    bomb = gzip.compress(b"<rss>" + b"a" * 3_000_000)

    def handler(request):
        return httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})

    with pytest.raises(FetchError) as e:
        run(fetch("https://x.test/feed", FetchPolicy(max_bytes=1_000_000), httpx.MockTransport(handler)))
    assert e.value.reason == "too_large"


def test_overall_deadline_holds_against_slow_drip():
    async def drip():
        for _ in range(100):
            await asyncio.sleep(0.2)
            yield b"x"

    def handler(request):
        return httpx.Response(200, content=drip())

    with pytest.raises(FetchError) as e:
        run(fetch("https://x.test/feed", FetchPolicy(timeout_seconds=0.6), httpx.MockTransport(handler)))
    assert e.value.reason == "timeout"


@pytest.mark.parametrize("location, reason", [
    ("file:///etc/passwd", "redirect_refused"),
    ("javascript:alert(1)", "redirect_refused"),
    ("http://127.0.0.1:9/admin", "redirect_refused"),
    ("http://169.254.169.254/latest", "redirect_refused"),
])
def test_redirect_policy(location, reason):
    def handler(request):
        return httpx.Response(302, headers={"Location": location})

    with pytest.raises(FetchError) as e:
        run(fetch("https://x.test/feed", transport=httpx.MockTransport(handler)))
    assert e.value.reason == reason


def test_redirect_loop_is_bounded():
    calls = []

    def handler(request):
        calls.append(request.url.path)
        return httpx.Response(302, headers={"Location": "/b" if request.url.path == "/a" else "/a"})

    with pytest.raises(FetchError) as e:
        run(fetch("https://x.test/a", FetchPolicy(max_redirects=3), httpx.MockTransport(handler)))
    assert e.value.reason == "too_many_redirects" and len(calls) == 4


def test_same_origin_redirect_followed(feed_server):
    feed_server.add("/old", b"", status=301, headers={"Location": "/new"}, etag=False)
    feed_server.add("/new", b"<rss/>")
    res = run(fetch(feed_server.url("/old")))
    assert res.status == 200 and res.url.endswith("/new")


def test_http_errors_carry_status_and_retry_after(feed_server):
    url = feed_server.add("/busy", b"slow down", status=429, headers={"Retry-After": "120"}, etag=False)
    with pytest.raises(FetchError) as e:
        run(fetch(url))
    assert (e.value.reason, e.value.status, e.value.retry_after) == ("http_status", 429, 120.0)


def test_connection_refused_is_network_error():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(FetchError) as e:
        run(fetch(f"http://127.0.0.1:{port}/feed"))
    assert e.value.reason == "network_error"


def test_userinfo_and_query_values_redacted_in_errors():
    def handler(request):
        return httpx.Response(500)

    with pytest.raises(FetchError) as e:
        run(fetch("https://user:pw@x.test/feed?token=abc", transport=httpx.MockTransport(handler)))
    assert "pw" not in e.value.url and "abc" not in e.value.url


def test_parse_retry_after_http_date():
    from datetime import UTC, datetime

    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 12:02:00 GMT", now) == 120.0
    assert parse_retry_after("garbage") is None


# ---- hostile servers (issue 7) ------------------------------------------------------------------


def _gzip_server(body: bytes, encoding: str = "gzip"):
    """A real loopback server streaming ``body`` with a Content-Encoding, in 64 KiB writes."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(0, len(body), 65536):
                    self.wfile.write(body[i:i + 65536])
            except (BrokenPipeError, ConnectionResetError):
                pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_gzip_bomb_over_real_http_stops_at_the_decoded_cap():
    import zlib

    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = comp.compress(b"<rss>") + b"".join(comp.compress(b" " * (1 << 20)) for _ in range(200)) + comp.flush()
    srv = _gzip_server(bomb)
    try:
        with pytest.raises(FetchError) as e:
            run(fetch(f"http://127.0.0.1:{srv.server_address[1]}/", FetchPolicy(max_bytes=2_000_000)))
        assert e.value.reason == "too_large"
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("encoding, wbits", [("gzip", 31), ("deflate", 15), ("deflate", -15)])
def test_gzip_and_deflate_bodies_are_decoded(encoding, wbits):
    import zlib

    feed = b"<rss version='2.0'><channel><title>t</title></channel></rss>" * 100
    comp = zlib.compressobj(6, zlib.DEFLATED, wbits)
    srv = _gzip_server(comp.compress(feed) + comp.flush(), encoding)
    try:
        res = run(fetch(f"http://127.0.0.1:{srv.server_address[1]}/"))
        assert res.body == feed
    finally:
        srv.shutdown()
        srv.server_close()


def test_plain_body_labelled_gzip_is_a_decode_error():
    srv = _gzip_server(b"<rss>not gzip at all</rss>")
    try:
        with pytest.raises(FetchError) as e:
            run(fetch(f"http://127.0.0.1:{srv.server_address[1]}/"))
        assert e.value.reason == "decode_error"
    finally:
        srv.shutdown()
        srv.server_close()


def test_redirect_to_a_name_resolving_to_a_private_address_is_refused():
    def handler(request):
        if request.url.host == "feeds.example":
            return httpx.Response(302, headers={"Location": "https://rebind.example/feed"})
        return httpx.Response(200, content=b"<rss/>")

    async def resolver(host, port):
        return {"rebind.example": ["10.0.0.7"], "ok.example": ["93.184.216.34"]}[host]

    async def go(url):
        return await Fetcher(httpx.MockTransport(handler), resolver=resolver).fetch(url)

    with pytest.raises(FetchError) as e:
        run(go("https://feeds.example/rss"))
    assert e.value.reason == "redirect_refused"


def test_unconditional_304_is_not_an_error_and_logged_once(caplog):
    def handler(request):
        return httpx.Response(304, headers={"ETag": '"same"'})

    async def go():
        f = Fetcher(httpx.MockTransport(handler))
        return [await f.fetch("https://x.test/feed") for _ in range(3)]

    with caplog.at_level("INFO", logger="monitor.fetch"):
        results = run(go())
    assert all(r.not_modified for r in results)
    assert len([r for r in caplog.records if "unconditional" in r.getMessage()]) == 1


def test_protocol_error_message_is_short_and_has_no_control_characters():
    def handler(request):
        raise httpx.RemoteProtocolError("illegal header \x1b[31m" + "h" * 5000)

    with pytest.raises(FetchError) as e:
        run(fetch("https://x.test/feed", transport=httpx.MockTransport(handler)))
    assert e.value.reason == "protocol_error"
    assert len(e.value.message) <= 200 and "\x1b" not in e.value.message


def test_304_keeps_the_connection_alive(feed_server):
    url = feed_server.add("/keep.xml", b"<rss version='2.0'><channel><title>t</title></channel></rss>")

    async def go():
        transport = make_transport()
        try:
            f = Fetcher(transport)
            first = await f.fetch(url)
            for _ in range(5):
                assert (await f.fetch(url, etag=first.etag)).not_modified
        finally:
            await transport.aclose()

    run(go())
    assert len(feed_server.requests) == 6 and len(set(feed_server.peers)) == 1


def test_feeds_get_no_cookies(feed_server):
    a = feed_server.add("/set.xml", b"<rss version='2.0'><channel><title>t</title></channel></rss>",
                        headers={"Set-Cookie": "track=1; Path=/"})
    b = feed_server.add("/other.xml", b"<rss version='2.0'><channel><title>u</title></channel></rss>")

    async def go():
        transport = make_transport()
        try:
            f = Fetcher(transport)
            await f.fetch(a)
            await f.fetch(b)
            await f.fetch(a)
        finally:
            await transport.aclose()

    run(go())
    assert len(feed_server.requests) == 3
    assert not any("Cookie" in r["headers"] for r in feed_server.requests)
