"""Hostile feeds and hostile servers, over real HTTP on loopback (issue 7,
``../shared/feeds/adversarial/EXPECTED.md``).

Every case runs in the same poll as a control feed that must be fully processed and
delivered. Static fixtures are served by :class:`tests.servers.FeedServer` with the canary
address ``127.0.0.1:9`` rewritten to a live listener that must never be connected to; server
behaviours come from ``serve_adversarial.py`` run as a subprocess with a bounded lifetime.
Large bodies from ``gen_big.py`` are written to a temporary directory and streamed from disk.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitor.app import _ParsePool, make_monitor
from monitor.errors import ParseError
from tests.helpers import ADVERSARIAL_FEEDS, FEEDS, config_dict
from tests.servers import FeedServer, Route

SHARED = Path(__file__).resolve().parents[2] / "shared"
ADV = SHARED / "feeds" / "adversarial"
pytestmark = pytest.mark.skipif(not ADV.is_dir(), reason=f"{ADV} is absent (the shared corpus is not checked out)")

MB = 1024 * 1024
CANARY_RE = re.compile(rb"127\.0\.0\.1:9(?!\d)")
CONTENT_TYPES = {".json": "application/feed+json", ".html": "text/html; charset=utf-8", ".txt": "text/plain",
                 ".atom": "application/atom+xml"}

# static fixtures that are feeds: their CONTROL item must be delivered exactly once
PARSEABLE = ADVERSARIAL_FEEDS
# static fixtures that are not feeds: path -> the reason code of the failed poll
REJECTED = {
    "empty_body.xml": "empty_body", "whitespace_body.xml": "empty_body", "html_not_xml.html": "not_a_feed",
    "deep_nesting.json": "parse_error", "body_is_local_path.txt": "not_a_feed", "body_is_url.txt": "not_a_feed",
}
# serve_adversarial.py routes -> expected outcome ("ok": CONTROL delivered, "not_modified", or a reason)
SERVER_ROUTES = {
    "/redirect-loop/a": "too_many_redirects", "/redirect-self": "too_many_redirects",
    "/redirect-chain/3": "ok", "/redirect-chain/9": "too_many_redirects",
    "/redirect-to/file": "redirect_refused", "/redirect-to/ftp": "redirect_refused",
    "/redirect-to/javascript": "redirect_refused", "/redirect-to/loopback-admin": "redirect_refused",
    "/redirect-to/other-loopback": "redirect_refused",
    "/slow-drip?interval=1": "timeout", "/slow-headers?interval=1": "timeout", "/silent": "timeout",
    "/infinite": "too_large", "/content-length-lie/short": "protocol_error",
    "/content-length-lie/long": "parse_error", "/reset": "network_error", "/huge-headers": "protocol_error",
    "/status/500": "http_status", "/status/503": "http_status", "/status/429?retry_after=120": "http_status",
    "/status/429?retry_after=31536000": "http_status",   # absurd Retry-After values: capped at 6 h
    "/status/429?retry_after=Wed,%2021%20Oct%202099%2007:28:00%20GMT": "http_status",
    "/304-forever": "not_modified", "/etag-churn": "ok", "/json-error-200": "not_a_feed",
    "/html-200": "not_a_feed", "/empty-200": "empty_body", "/gzip-lie": "decode_error",
    "/gzip-bomb": "too_large", "/gzip-naked": "ok", "/body-is-path": "not_a_feed", "/body-is-url": "not_a_feed",
}
DEADLINE = 3.0   # polling.timeout_seconds in these tests

# filter_edge_cases.xml: label -> matched. EXPECTED.md's labels, all met. pos-hyphen ("Open-AI investors
# pile in") and pos-hashtag ("#OpenAI secures new investment from SoftBank") were misses when the audit
# of issue 7 ran (no funding cue); the matcher's own change 84a85df made them cues, and this test keeps
# them. pos-french/pos-german match because the shipped preset is multilingual (docs/design.md,
# "Hostile input: decisions"). The matcher (monitor/match/) is not changed by these tests.
FILTER_LABELS = {
    "pos-basic": True, "pos-possessive": True, "pos-upper": True, "pos-space": True, "pos-hyphen": True,
    "pos-hashtag": True, "pos-summary-only": True, "pos-french": True, "pos-german": True,
    "neg-substring": False, "neg-reopen": False, "neg-unrelated-openai": False, "neg-other-company": False,
    "neg-openai-url-only": False,
}
# unicode_invisible_bidi.xml: label -> matched. Invisible and format characters, full-width letters and
# odd spaces are folded for matching; homoglyphs are not (no confusables skeleton: a decision, see
# docs/design.md); "rlo" and "rlo-filename-trick" carry no money word once the override is removed;
# Zalgo marks are capped for display, not stripped, so "fundinǵ́" is no money word either.
UNICODE_LABELS = {
    "zwsp": True, "zwnj-zwj": True, "word-joiner": True, "bom-in-middle": True, "soft-hyphen": True,
    "fullwidth": True, "nbsp-variants": True, "newlines-tabs": True, "tag-chars": True,
    "variation-selectors": True, "bidi-isolates": True, "emoji-zwj": True,
    "homoglyph-cyrillic-O": False, "homoglyph-greek-A-I": False, "rlo": False, "rlo-filename-trick": False,
    "combining-zalgo": False,
}


# ---- servers ------------------------------------------------------------------------------------


class Canary:
    """A loopback listener that counts every connection it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def rewrite(self, body: bytes) -> bytes:
        return CANARY_RE.sub(f"127.0.0.1:{self.port}".encode(), body)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


class OddServer:
    """A loopback HTTP server for what FeedServer cannot do: ``tls=True`` serves ``body`` over TLS
    with a throwaway self-signed certificate (valid for 127.0.0.1; only its issuer is unknown);
    ``lie=True`` sends an ETag and a Last-Modified, declares 100,000 bytes, sends half the body
    and closes. Records the headers of every request."""

    def __init__(self, body: bytes, tmp: Path, *, tls: bool = False, lie: bool = False) -> None:
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append(dict(self.headers))
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(100_000 if lie else len(body)))
                if lie:
                    self.send_header("ETag", '"lie-etag"')
                    self.send_header("Last-Modified", "Tue, 05 Aug 2025 10:00:00 GMT")
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if lie else body)
                self.wfile.flush()
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls:
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self_signed_cert(tmp))
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/feed"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def self_signed_cert(tmp: Path) -> tuple[str, str]:
    """A throwaway self-signed certificate for 127.0.0.1: (cert file, key file)."""
    import ipaddress
    from datetime import UTC, datetime, timedelta

    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "self-signed.pem", tmp / "self-signed.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


@pytest.fixture
def canary():
    c = Canary()
    yield c
    c.close()


@pytest.fixture(scope="module")
def adversarial_server():
    """serve_adversarial.py in a subprocess; it exits by itself after --lifetime seconds."""
    proc = subprocess.Popen([sys.executable, str(ADV / "serve_adversarial.py"), "--lifetime", "240"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        m = re.match(r"PORT (\d+)", line)
        assert m, f"serve_adversarial.py did not start: {line!r}"
        base = f"http://127.0.0.1:{m.group(1)}"
        # the server compresses its 1 GiB bomb on first use (seconds): do it before the clocked polls
        with urllib.request.urlopen(base + "/gzip-bomb", timeout=120) as r:
            r.read(16)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture(scope="module")
def big_files(tmp_path_factory):
    """gen_big.py bodies in a temp dir, served from disk (streamed, never held in memory)."""
    d = tmp_path_factory.mktemp("big")
    for kind, name, extra in (("big", "big_50mb.xml", []), ("blob", "blob_50mb.xml", []),
                              ("many", "many_10000.xml", []), ("deep", "deep_200k.xml", []),
                              ("blob", "blob_9mb.xml", ["--size-mb", "9"])):
        subprocess.run([sys.executable, str(ADV / "gen_big.py"), kind, "-o", str(d / name), *extra], check=True,
                       stderr=subprocess.DEVNULL, timeout=120)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def guess_type(self, path: Any) -> str:
            return "application/rss+xml"

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(d)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def serve_fixture(server: FeedServer, canary: Canary, name: str, *, tag: str | None = "",
                  content_type: str | None = None) -> str:
    """Serve one fixture with the canary address rewritten and, unless ``tag`` is None, its
    CONTROL item made unique (title, guid, link) under ``tag`` (default: the fixture's name)
    so that each can be counted."""
    body = canary.rewrite((ADV / name).read_bytes())
    label = tag or name
    if tag is not None:
        body = body.replace(b"CONTROL:", f"CONTROL[{label}]:".encode())
        body = body.replace(b"control-1", f"control-1-{label}".encode()).replace(
            b'news.example/ac"', f'news.example/ac-{label}"'.encode())
    ctype = content_type or CONTENT_TYPES.get(Path(name).suffix, "application/rss+xml")
    return server.add(f"/f/{label}", body, content_type=ctype)


def settings_for(urls: list[str], receiver: Any, db_url: str, **polling: Any) -> Any:
    from monitor.config import settings_from_dict

    pol = {"max_age_days": 100_000, "timeout_seconds": DEADLINE, "concurrency": 128,
           "per_host_concurrency": 64, "max_body_mb": 10}
    pol.update(polling)
    return settings_from_dict(config_dict(urls, receiver, db_url, polling=pol), environ={})


def titles_in(receiver: Any, path: str = "/hook") -> list[str]:
    out = []
    for p in receiver.posts:
        if p["path"] == path:
            payload = json.loads(p["body"])
            out += [s["title"] for st in payload["stories"] for s in st["sources"]]
    return out


def reason_of(outcome: Any) -> str:
    if outcome.error is not None:
        return getattr(outcome.error, "reason", type(outcome.error).__name__)
    return "not_modified" if outcome.not_modified else "ok"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def stored(sqlite_url: str, feed_url: str) -> list[dict[str, Any]]:
    """The articles stored for one feed, in insertion order: title, link, published, first_seen, matched."""
    import sqlite3

    con = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        rows = con.execute(
            "SELECT a.title, a.link, a.published, a.first_seen, "
            "EXISTS (SELECT 1 FROM matches m WHERE m.article_id = a.id) "
            "FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE f.url = ? ORDER BY a.id", (feed_url,)).fetchall()
        return [dict(zip(("title", "link", "published", "first_seen", "matched"), r, strict=True)) for r in rows]
    finally:
        con.close()


def stored_feeds(sqlite_url: str) -> dict[str, dict[str, Any]]:
    """url -> the feed's stored id, next_poll_at (UTC), etag and last_modified."""
    import sqlite3
    from datetime import UTC, datetime

    con = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        rows = con.execute("SELECT url, id, next_poll_at, etag, last_modified FROM feeds").fetchall()
    finally:
        con.close()
    return {url: {"id": id_, "next_poll_at": datetime.fromisoformat(nxt).replace(tzinfo=UTC) if nxt else None,
                  "etag": etag, "last_modified": lm} for url, id_, nxt, etag, lm in rows}


def labels(fixture: str, prefix: str) -> dict[str, str]:
    """link -> label, from the fixture's ``<link>`` and its ``<guid>adv-<prefix>-LABEL</guid>``."""
    text = (ADV / fixture).read_text(encoding="utf-8")
    pairs = re.findall(r"<link>([^<]+)</link>\s*<guid[^>]*>adv-" + prefix + r"-?([^<]+)</guid>", text)
    return dict(pairs)


# ---- the big mixed poll -------------------------------------------------------------------------


def test_every_hostile_case_in_one_poll_with_a_control_feed(adversarial_server, canary, feed_server, receiver,
                                                            sqlite_url, clock, caplog, tmp_path):
    control = feed_server.add("/control.xml", (FEEDS / "openai_en.xml").read_bytes())
    static = {name: serve_fixture(feed_server, canary, name) for name in PARSEABLE}
    rejected = {serve_fixture(feed_server, canary, name, tag=None): reason for name, reason in REJECTED.items()}
    # valid feeds served with a wrong Content-Type are sniffed and parsed anyway
    static["wrong-ct-html"] = serve_fixture(feed_server, canary, "external_dtd_loopback.xml", tag="wrong-ct-html",
                                            content_type="text/html")
    static["wrong-ct-octets"] = serve_fixture(feed_server, canary, "xxe_file_passwd.xml", tag="wrong-ct-octets",
                                              content_type="application/octet-stream")
    # the body is the path of a real local feed: it must never be opened
    secret_feed = tmp_path / "local-secret.xml"
    secret_feed.write_bytes(b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><item>"
                            b"<title>LOCAL-FILE-CANARY OpenAI raises</title><guid>lf</guid></item></channel></rss>")
    rejected[feed_server.add("/body-is-tmp-path", str(secret_feed).encode(), content_type="text/plain")] = "not_a_feed"
    # fixtures without a CONTROL item, asserted item by item below; guid_scheme_v2 replaces v1 on the
    # same route before the second poll
    filter_url = serve_fixture(feed_server, canary, "filter_edge_cases.xml", tag=None)
    guid_url = serve_fixture(feed_server, canary, "guid_scheme_v1.xml", tag=None)
    server = {adversarial_server + route: want for route, want in SERVER_ROUTES.items()}
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused = f"http://127.0.0.1:{closed.getsockname()[1]}/feed"
    closed.close()
    network = {refused: "network_error", "http://feed.invalid/rss": "dns_error"}
    # a self-signed certificate fails (verification stays on: the same server would give a good feed);
    # a body cut short under an ETag and a Last-Modified stores neither validator
    tls = OddServer((FEEDS / "openai_en.xml").read_bytes(), tmp_path, tls=True)
    liar = OddServer((FEEDS / "openai_en.xml").read_bytes(), tmp_path, lie=True)
    network |= {tls.url: "tls_error", liar.url: "protocol_error"}
    urls = [control, *static.values(), filter_url, guid_url, *rejected, *server, *network]
    s = settings_for(urls, receiver, sqlite_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=1) as m:
            started = time.monotonic()
            report = await m.poll()
            elapsed = time.monotonic() - started
            feeds_after = stored_feeds(sqlite_url)
            await m.send_digest("daily")
            serve_fixture(feed_server, canary, "guid_scheme_v2.xml", tag=None)
            feed_server.routes["/f/guid_scheme_v1.xml"] = feed_server.routes.pop("/f/guid_scheme_v2.xml")
            clock.advance(hours=2)
            again = await m.poll(all_feeds=True)
            second = await m.send_digest("daily")
            return report, elapsed, again, second, feeds_after

    try:
        with caplog.at_level(logging.DEBUG):
            report, elapsed, again, second, feeds_after = run(scenario())
    finally:
        tls.close()
        liar.close()
    outcomes = {f.url: f for f in report.feeds}
    assert len(outcomes) == len(urls)

    # the control feed and every parseable fixture were fully processed
    assert reason_of(outcomes[control]) == "ok" and outcomes[control].new_articles >= 3
    for name, url in {**static, "filter": filter_url, "guid": guid_url}.items():
        assert reason_of(outcomes[url]) == "ok", (name, outcomes[url].error)
    got = {u: reason_of(outcomes[u]) for u in [*rejected, *server, *network]}
    want = {**rejected, **server, **network}
    if got["http://feed.invalid/rss"] in ("network_error", "timeout"):  # no resolver in the sandbox
        want["http://feed.invalid/rss"] = got["http://feed.invalid/rss"]
    assert got == want

    # redirects are never learned: every feed keeps the URL it was configured with (/redirect-self,
    # /redirect-chain/3 included); Retry-After of a year or of a date in 2099 is capped at 6 hours
    assert set(feeds_after) == set(urls)
    now = clock.now() - timedelta(hours=2)   # the first poll's time
    for route in ("/status/429?retry_after=31536000", "/status/429?retry_after=Wed,%2021%20Oct%202099%2007:28:00%20GMT"):
        assert feeds_after[adversarial_server + route]["next_poll_at"] == now + timedelta(hours=6), route
    # no validator is stored from a failed poll (the short body came with an ETag and a Last-Modified),
    # so the next request is unconditional
    for url in (liar.url, adversarial_server + "/content-length-lie/short"):
        assert feeds_after[url]["etag"] is None and feeds_after[url]["last_modified"] is None, url
    assert len(liar.requests) == 2 and "If-None-Match" not in liar.requests[1]
    assert "If-Modified-Since" not in liar.requests[1]

    # one poll is bounded by the per-feed deadline (slow drip, slow headers, silent sockets)
    assert elapsed < DEADLINE * 2 + 20

    # G5/G9: every CONTROL item is delivered exactly once, the control feed's matches too
    titles = titles_in(receiver)
    for name in static:
        assert sum(t.startswith(f"CONTROL[{name}]") for t in titles) == 1, (name, [t for t in titles if "CONTROL" in t])
    assert sum("OpenAI closes $40 billion funding round" in t for t in titles) == 1
    assert not any(o.run_id for o in second), "second poll of the same fixtures delivered something"
    # the second poll brings nothing new but guid_scheme_v2's one new story (v2's new guids, https and
    # utm_* links are the same three articles); that story names no money, so nothing is delivered
    assert {f.url: f.new_articles for f in again.feeds if f.new_articles} == {guid_url: 1}

    # per-fixture expectations of EXPECTED.md, item by item, in the store and the payloads
    assert_fixture_items(sqlite_url, static, filter_url, guid_url, titles)

    # G4: nothing fetched from the canary, no local file read
    everything = json.dumps([json.loads(p["body"]) for p in receiver.posts if p["path"] == "/hook"])
    assert canary.connections == 0
    assert "LOCAL-FILE-CANARY" not in everything and "root:x:0:0" not in everything
    assert "lollollol" not in everything and "&a;&a;" not in everything

    # G6: exactly one WARNING line per failed poll of a feed (over both polls): id, redacted URL,
    # reason, status; no body dump
    failed_lines = [r for r in caplog.records if r.getMessage().startswith("feed failed")]
    failed = [f for f in report.feeds if f.error is not None]
    lines_per_feed = Counter(int(re.search(r" id=(\d+) ", r.getMessage()).group(1)) for r in failed_lines)
    failures_per_feed = Counter(feeds_after[f.url]["id"] for f in [*report.feeds, *again.feeds] if f.error is not None)
    assert lines_per_feed == failures_per_feed
    first_poll = failed_lines[:len(failed)]
    assert all(r.levelname == "WARNING" for r in first_poll)
    for r in first_poll:
        msg = r.getMessage()
        assert re.search(r"id=\d+ feed=https?://\S+ reason=[a-z_]+", msg), msg
        assert len(msg) < 400 and "<rss" not in msg and "\x1b" not in msg
    assert any("reason=http_status status=500" in r.getMessage() for r in first_poll)
    assert not any(r.levelname == "ERROR" for r in caplog.records if r.name.startswith("monitor"))


def assert_fixture_items(sqlite_url: str, static: dict[str, str], filter_url: str, guid_url: str,
                         titles: list[str]) -> None:
    # filter_edge_cases.xml: every label as FILTER_LABELS says; the matched ones delivered once each
    by_link = labels("filter_edge_cases.xml", "filter")
    rows = stored(sqlite_url, filter_url)
    assert {by_link[r["link"]]: bool(r["matched"]) for r in rows} == FILTER_LABELS
    for r in rows:
        assert titles.count(r["title"]) == (1 if r["matched"] else 0), r["title"]

    # guid_scheme v1 -> v2: three stories delivered once; v2 adds exactly one article (its new story)
    rows = stored(sqlite_url, guid_url)
    assert [r["link"] for r in rows[:3]] == [f"http://news.example/2025/08/{slug}" for slug in
                                             ("openai-raises-40b", "openai-revenue-12b", "openai-tender")]
    assert [r["title"] for r in rows[3:]] == ["OpenAI genuinely new story after the scheme change"]
    for r in rows[:3]:
        assert r["matched"] and titles.count(r["title"]) == 1, r["title"]

    # duplicate_ids.xml: one row per guid, the first one seen wins (adv-dup-1 keeps "version 1"); the
    # same link under two guids is one article; case-different guids are two; a trailing space is trimmed
    rows = stored(sqlite_url, static["duplicate_ids.xml"])
    assert [r["title"] for r in rows if not r["title"].startswith("CONTROL")] == [
        "OpenAI dup guid version 1", "OpenAI same link, guid X", "OpenAI guid case A", "OpenAI guid case B",
        "OpenAI guid trailing space"]

    # missing_fields.xml: 11 items + CONTROL -> 10 rows: the empty <item></item> is skipped and the two
    # guid-less twins are one article, delivered once; an undated item has no published date
    rows = stored(sqlite_url, static["missing_fields.xml"])
    assert len(rows) == 10 and all(r["title"].strip() for r in rows)
    twin = "Identical no-guid twin A: OpenAI funding"
    assert [r["title"] for r in rows].count(twin) == 1 and titles.count(twin) == 1
    assert {r["title"]: r["published"] for r in rows}["No date: OpenAI tender offer"] is None

    # unicode_invisible_bidi.xml: which items match (UNICODE_LABELS), and no invisible characters kept
    by_link = labels("unicode_invisible_bidi.xml", "uni")
    rows = [r for r in stored(sqlite_url, static["unicode_invisible_bidi.xml"]) if not r["title"].startswith("CONTROL")]
    assert {by_link[r["link"]]: bool(r["matched"]) for r in rows} == UNICODE_LABELS

    # wrong_encoding_latin1_decl_utf8_bytes.xml: the mojibake ("OpenAIâ€™s") is undone at the edge,
    # so the title is stored and delivered as published, and it matches
    rows = stored(sqlite_url, static["wrong_encoding_latin1_decl_utf8_bytes.xml"])
    fixed = "OpenAI’s valuation reaches €300 billion — “record”"
    assert fixed in [r["title"] for r in rows if r["matched"]] and titles.count(fixed) == 1

    # dates.xml: 18 items + CONTROL stored once; a date more than a day ahead is clamped to the
    # first-seen time (2099 cannot pin an item to the top), and dates before 1970-01-02 or from 2100 on
    # are no dates (undated: new, first-seen time), so 1970 cannot make a new item look stale
    rows = stored(sqlite_url, static["dates.xml"])
    assert len(rows) == 19
    when = {r["link"].rsplit("/", 1)[-1]: r for r in rows}
    assert when["future-2099"]["published"] == when["future-2099"]["first_seen"]
    for r in rows:
        assert r["published"] is None or r["published"] <= r["first_seen"], r
    for case in ("future-year-9999", "year-10000", "epoch-1970", "pre-epoch-1900", "year-0001"):
        assert when[case]["published"] is None, case


def test_sanitized_once_at_the_edge(canary, feed_server, receiver, db_url, clock):
    """What is stored is what is shown: no control, bidi or invisible characters, no NUL or lone
    surrogate, capped lengths, http(s) links only; every title in the webhook payload is the stored
    title, character for character. On SQLite and PostgreSQL (whose text type rejects NUL)."""
    import sqlalchemy as sa

    names = ["unicode_invisible_bidi.xml", "illegal_xml_chars.xml", "long_fields.xml", "html_injection.xml",
             "html_injection.atom", "jsonfeed_nul_and_types.json", "email_header_injection.xml",
             "slack_mrkdwn_injection.xml"]
    urls = [serve_fixture(feed_server, canary, n, tag=None) for n in names]
    s = settings_for(urls, receiver, db_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            report = await m.poll()
            assert not report.failed, [str(f.error) for f in report.failed]
            await m.send_digest("daily")

    run(scenario())
    bad = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
                     "\ud800-\udfff\u2028\u2029]")
    payloads = [json.loads(p["body"]) for p in receiver.posts if p["path"] == "/hook"]
    assert payloads
    sources = [src for st in payloads[0]["stories"] for src in st["sources"]]
    for src in sources:
        assert not bad.search(src["title"]), src["title"]
        assert len(src["title"]) <= 300
        assert "<script" not in src["title"].lower()
        assert src["url"] is None or re.match(r"^https?://", src["url"]), src["url"]

    engine = sa.create_engine(db_url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            articles = conn.execute(sa.select(meta.tables["articles"].c.title, meta.tables["articles"].c.link)).all()
            for table in meta.sorted_tables:
                for row in conn.execute(sa.select(table)).mappings():
                    for col, value in row.items():
                        if isinstance(value, str) and col not in ("payload", "body"):
                            assert "\x00" not in value and "\x1b" not in value and "\u202e" not in value, (table, col)
    finally:
        engine.dispose()
    # shown = stored: each delivered source carries the stored title of its article (found by link)
    stored_title = {link: title for title, link in articles if link}
    linked = [src for src in sources if src["url"] in stored_title]
    assert len(linked) >= len(sources) // 2, (len(linked), len(sources))
    for src in linked:
        assert src["title"] == stored_title[src["url"]]
    titles = {title for title, _ in articles}
    assert all(src["title"] in titles for src in sources)
    assert canary.connections == 0


def test_failed_poll_never_updates_validators(feed_server, receiver, sqlite_url, clock, caplog):
    """G7 / R17: an empty 200 carrying an ETag, then 304 forever: the 304 poll must not be
    conditional (the failed poll stored no validator), and a 304 is no error."""
    control = feed_server.add("/control.xml", (FEEDS / "openai_en.xml").read_bytes())
    url = feed_server.add("/g7", b"", etag=True)   # 200, empty body, with an ETag header
    s = settings_for([control, url], receiver, sqlite_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            first = await m.poll()
            assert {reason_of(f) for f in first.feeds if f.url == url} == {"empty_body"}
            feed_server.routes["/g7"] = Route(body=b"", status=304, etag=False, headers={"ETag": '"same-etag"'})
            clock.advance(days=2)
            caplog.clear()
            with caplog.at_level(logging.INFO):
                second = await m.poll(all_feeds=True)
            return second

    second = run(scenario())
    g7 = [r for r in feed_server.requests if r["path"] == "/g7"]
    assert len(g7) == 2
    assert "If-None-Match" not in g7[1]["headers"] and "If-Modified-Since" not in g7[1]["headers"]
    assert [reason_of(f) for f in second.feeds if f.url == url] == ["not_modified"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "/g7" in r.getMessage()]


# ---- size, memory and time --------------------------------------------------------------------


def _status(pid: int | str, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc to measure memory")
def test_memory_is_bounded_for_50mb_feeds_and_the_gzip_bomb(adversarial_server, big_files, feed_server, receiver,
                                                             sqlite_url, clock):
    """Cap: 10 MB of *decoded* body per feed (polling.max_body_mb), enforced while streaming;
    parse workers are limited to their start-up size + 512 MiB of address space (RLIMIT_AS).
    Measured: peak RSS growth of this process and the parse worker's peak RSS."""
    control = feed_server.add("/control.xml", (FEEDS / "openai_en.xml").read_bytes())
    hostile = [big_files + "/big_50mb.xml", big_files + "/blob_50mb.xml", adversarial_server + "/gzip-bomb",
               adversarial_server + "/infinite"]
    under_cap = big_files + "/blob_9mb.xml"   # one 9 MiB text node: parsed in the worker
    s = settings_for([control, under_cap, *hostile], receiver, sqlite_url, timeout_seconds=30)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=1) as m:
            await m.deps.process(b"<rss version='2.0'><channel><title>warm</title></channel></rss>",
                                 "http://x.test/", "", "", clock.now())   # start the worker
            workers = _worker_pids(m)
            before = _status("self", "VmRSS")
            reset = _reset_peak()
            report = await m.poll()
            peak = _status("self", "VmHWM") if reset else _status("self", "VmRSS")
            worker_peaks = [_status(pid, "VmHWM") for pid in workers]
            return report, peak - before, worker_peaks

    report, growth, worker_peaks = run(scenario())
    reasons = {f.url: reason_of(f) for f in report.feeds}
    assert reasons[control] == "ok" and reasons[under_cap] == "ok"
    assert all(reasons[u] == "too_large" for u in hostile), reasons
    assert growth < 10 * MB + 256 * MB, f"process RSS grew by {growth / MB:.0f} MiB"
    assert worker_peaks and max(worker_peaks) < 10 * MB + 256 * MB + 200 * MB
    print(f"\nmemory: main process peak growth {growth / MB:.1f} MiB; "
          f"parse worker peak RSS {max(worker_peaks) / MB:.1f} MiB")


def _worker_pids(m: Any) -> list[int]:
    for cell in m.deps.process.__closure__ or ():
        pool = cell.cell_contents
        if isinstance(pool, _ParsePool):
            return list(getattr(pool.executor, "_processes", {}) or {})
    return []


def test_parse_worker_memory_limit_turns_a_blowup_into_one_parse_error():
    """A job that tries to allocate 2 GiB in a parse worker fails as that feed's parse_error; the
    pool keeps working for the next feed."""
    pool = _ParsePool(1, (), timeout=20)
    try:
        async def scenario():
            with pytest.raises(ParseError) as e:
                await pool.run("http://x.test/feed", bytearray, 2 * 1024 * MB)
            assert e.value.reason == "parse_error"
            return await pool.run("http://x.test/feed", len, b"still alive")

        assert run(scenario()) == 11
    finally:
        pool.shutdown()


def test_parse_deadline_kills_a_stuck_worker():
    pool = _ParsePool(1, (), timeout=0.5)
    try:
        async def scenario():
            with pytest.raises(ParseError) as e:
                await pool.run("http://x.test/feed", time.sleep, 30)
            assert e.value.reason == "timeout"
            return await pool.run("http://x.test/feed", len, b"fresh worker")

        started = time.monotonic()
        assert run(scenario()) == 12
        assert time.monotonic() - started < 15
    finally:
        pool.shutdown()


MANY = int(os.environ.get("ADV_MANY_ITEMS", "300"))


def test_many_items_and_200k_deep_nesting(big_files, feed_server, receiver, sqlite_url, clock, tmp_path):
    """``gen_big.py many`` (default here: 300 matching items + CONTROL, all stored and delivered
    once; set ADV_MANY_ITEMS=10000 for the full case, see test_ten_thousand_items_parse) and
    ``deep`` (200,000 nested elements: parses, CONTROL included)."""
    many = tmp_path / "many.xml"
    subprocess.run([sys.executable, str(ADV / "gen_big.py"), "many", "--count", str(MANY), "-o", str(many)],
                   check=True, stderr=subprocess.DEVNULL, timeout=60)
    many_url = feed_server.add("/many.xml", many.read_bytes())
    s = settings_for([many_url, big_files + "/deep_200k.xml"], receiver, sqlite_url, timeout_seconds=60)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=1) as m:
            report = await m.poll()
            await m.send_digest("daily")
            clock.advance(hours=2)
            again = await m.poll(all_feeds=True)
            second = await m.send_digest("daily")
            return report, again, second

    report, again, second = run(scenario())
    assert not report.failed, [str(f.error) for f in report.failed]
    new = {f.url.rsplit("/", 1)[1]: f.new_articles for f in report.feeds}
    # both feeds carry the same CONTROL (same link): one article, stored with the first feed
    assert new["many.xml"] + new["deep_200k.xml"] == MANY + 1 + 2 - 1
    assert sum(f.new_articles for f in again.feeds) == 0 and not any(o.run_id for o in second)
    titles = titles_in(receiver)
    assert sum(t.startswith("CONTROL:") for t in titles) == 1
    assert sum(t.startswith("OpenAI generated item") for t in titles) == MANY
    # the generated items state one event: one story with all their sources, one Slack message (many
    # distinct stories are capped per digest: tests/test_digest_cap.py)
    slack = [json.loads(p["body"]) for p in receiver.posts if p["path"] == "/slack"]
    assert len(slack) == 1 and slack[0]["blocks"][0]["text"]["text"] == "daily: 2 stories"


def test_ten_thousand_items_parse_within_the_deadline(big_files):
    """The parse step of ``gen_big.py many`` (10,001 items) in a parse worker: all items, under
    the default 20 s deadline. Storing and delivering all 10,001 end to end is
    ``test_many_items_and_200k_deep_nesting`` with ``ADV_MANY_ITEMS=10000`` (about 30 s; the default
    run uses 300 items)."""
    import urllib.request as rq

    from monitor.parse import parse_feed

    with rq.urlopen(big_files + "/many_10000.xml", timeout=30) as r:
        body = r.read()
    pool = _ParsePool(1, (), timeout=20)
    try:
        parsed = run(pool.run("http://x.test/many", parse_feed, body, "http://x.test/many"))
    finally:
        pool.shutdown()
    assert len(parsed.articles) == 10_001


def test_hostile_fixture_payloads_reach_sinks_escaped(canary, feed_server, receiver, sqlite_url, clock):
    """G8 at payload level, Slack: no <!channel>/<@U…>/<url|label> sequence originates from feed
    text (the escaping itself belongs to the renderers; this checks what they receive is clean)."""
    url = serve_fixture(feed_server, canary, "slack_mrkdwn_injection.xml", tag=None)
    s = settings_for([url], receiver, sqlite_url)

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            await m.poll()
            await m.send_digest("daily")

    run(scenario())
    slack = [p["body"].decode() for p in receiver.posts if p["path"] == "/slack"]
    assert slack
    for body in slack:
        text = json.dumps(json.loads(body))
        assert "<!channel>" not in text and "<!here>" not in text and "<@U123ABC456>" not in text
        assert "<https://evil.example" not in text and "<javascript:" not in text


@pytest.mark.skipif(os.environ.get("CI_NO_DNS") == "1", reason="no resolver")
def test_redirect_to_a_name_that_resolves_to_loopback_is_refused(feed_server):
    """The address policy holds for host names too: ``localhost`` on another port."""
    from monitor.fetch import Fetcher, make_transport

    feed_server.add("/to-localhost", b"", status=302, etag=False, headers={"Location": "http://localhost:9/x"})

    async def go():
        transport = make_transport()
        try:
            return await Fetcher(transport).fetch(feed_server.url("/to-localhost"))
        finally:
            await transport.aclose()

    from monitor.errors import FetchError

    with pytest.raises(FetchError) as e:
        run(go())
    assert e.value.reason == "redirect_refused"


def test_a_feed_failing_for_long_logs_one_error_and_a_304_only_feed_one_notice(feed_server, receiver, sqlite_url,
                                                                               clock, caplog):
    """After FEED_ERROR_AFTER failed polls in a row, that poll's line is an ERROR (one per failing
    episode, not one per poll); a feed answering only 304 for STALE_304_AFTER gets one notice."""
    from monitor.pipeline import FEED_ERROR_AFTER, STALE_304_AFTER

    body = (FEEDS / "openai_en.xml").read_bytes()
    control = feed_server.add("/control.xml", body, etag=False)   # a 200 every time: never stale
    down = feed_server.add("/down.xml", b"oops", status=500)
    stale = feed_server.add("/stale.xml", b"", status=304, etag=False)
    s = settings_for([control, down, stale], receiver, sqlite_url)
    days = STALE_304_AFTER.days + 3

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            for _ in range(days):   # one poll a day: the 500s fail `days` times in a row
                await m.poll(all_feeds=True)
                clock.advance(days=1)
            feed_server.routes["/down.xml"] = Route(body=body)   # it recovers once, then fails again
            await m.poll(all_feeds=True)
            feed_server.routes["/down.xml"] = Route(body=b"oops", status=500)
            for _ in range(FEED_ERROR_AFTER):
                clock.advance(days=1)
                await m.poll(all_feeds=True)

    with caplog.at_level(logging.INFO, logger="monitor"):
        run(scenario())
    down_lines = [r for r in caplog.records if r.getMessage().startswith("feed failed") and "/down.xml" in r.getMessage()]
    assert len(down_lines) == days + FEED_ERROR_AFTER
    errors = [r.getMessage() for r in down_lines if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all(f"failures={FEED_ERROR_AFTER} " in e for e in errors), errors
    notices = [r for r in caplog.records if r.getMessage().startswith("feed stale")]
    assert len(notices) == 1 and "/stale.xml" in notices[0].getMessage()
    assert f"for {STALE_304_AFTER.days} days" in notices[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "/control.xml" in r.getMessage()]
