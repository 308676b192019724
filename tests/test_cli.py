"""The CLI as a user runs it: real processes, a real feed server and webhook receiver."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import FEEDS, NEGATIVE_TITLES, POSITIVE_TITLES, all_source_titles, config_dict, serve_fixtures

ROOT = Path(__file__).parent.parent


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(v)


def write_config(path: Path, d: dict) -> Path:
    lines = []
    for section in ("database", "polling", "server"):
        if section in d:
            lines.append(f"[{section}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in d[section].items()]
    for arr in ("feeds", "topics", "digests"):
        for entry in d.get(arr, []):
            lines.append(f"[[{arr}]]")
            lines += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
    for name, sink in d.get("sinks", {}).items():
        lines.append(f"[sinks.{name}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in sink.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def monitor(*args, env=None, check=True, timeout=120):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    e.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True,
                          timeout=timeout, env=e, cwd=ROOT)
    if check and proc.returncode != 0:
        raise AssertionError(f"monitor {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


@pytest.fixture
def cfg(tmp_path, feed_server, receiver):
    urls = serve_fixtures(feed_server)
    d = config_dict(urls, receiver, f"sqlite:///{tmp_path / 'm.db'}")
    return write_config(tmp_path / "config.toml", d)


def test_poll_then_digest_send_twice_delivers_once(cfg, receiver):
    out = monitor("--config", str(cfg), "poll").stdout
    assert "polled 6 feeds" in out and "0 failed" in out
    sent = monitor("--config", str(cfg), "digest", "send", "daily").stdout
    assert "archive: sent" in sent
    hooks = [json.loads(p["body"]) for p in receiver.posts if p["path"] == "/hook"]
    assert len(hooks) == 1
    titles = all_source_titles(hooks[0])
    assert all(any(t in x for x in titles) for t in POSITIVE_TITLES)
    assert not any(t in x for t in NEGATIVE_TITLES for x in titles)
    monitor("--config", str(cfg), "poll", "--all")
    again = monitor("--config", str(cfg), "digest", "send", "daily").stdout
    assert "archive: nothing pending" in again
    assert len([p for p in receiver.posts if p["path"] == "/hook"]) == 1


def test_preview_formats_record_nothing(cfg, receiver):
    monitor("--config", str(cfg), "poll")
    for fmt in ("text", "html", "slack", "json"):
        out = monitor("--config", str(cfg), "digest", "preview", "daily", "--format", fmt).stdout
        assert "OpenAI" in out
    json.loads(monitor("--config", str(cfg), "digest", "preview", "daily", "--format", "json").stdout)
    assert receiver.posts == []
    assert "archive: sent" in monitor("--config", str(cfg), "digest", "send", "daily").stdout


def test_feeds_list_prints_full_urls_when_piped(cfg, feed_server):
    out = monitor("--config", str(cfg), "feeds", "list").stdout.split()
    assert feed_server.url("/en.xml") in out and len(out) == 6


def monitor_on_a_terminal(*args, timeout=120):
    """``monitor`` with its output on a pseudo-terminal, as a person at a shell sees it."""
    leader, follower = pty.openpty()
    e = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    proc = subprocess.Popen([sys.executable, "-m", "monitor", *args], stdout=follower, stderr=subprocess.PIPE,
                            env=e, cwd=ROOT)
    os.close(follower)
    out = b""
    try:
        while chunk := os.read(leader, 65536):
            out += chunk
    except OSError:   # EIO: the process closed the terminal
        pass
    finally:
        os.close(leader)
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode()
    return out.decode().replace("\r\n", "\n")


def test_feeds_list_on_a_terminal_shows_why_since_when_and_how_often_a_feed_fails(tmp_path, feed_server, receiver):
    good = feed_server.add("/good.xml", (FEEDS / "openai_en.xml").read_bytes())
    broken = feed_server.add("/broken.xml", b"oops", status=500, etag=False)
    with socket.socket() as sock:   # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/feed.xml"
    cfg = write_config(tmp_path / "c.toml", config_dict([good, broken, closed], receiver, f"sqlite:///{tmp_path / 'm.db'}"))
    started = datetime.now(UTC).replace(second=0, microsecond=0)
    assert "2 failed" in monitor("--config", str(cfg), "poll").stdout
    assert "2 failed" in monitor("--config", str(cfg), "poll", "--all").stdout   # failing feeds wait: --all
    out = monitor_on_a_terminal("--config", str(cfg), "feeds", "list")
    lines = out.splitlines()
    state = {lines[i]: lines[i + 1] for i in range(0, len(lines), 2)}
    assert list(state) == [good, broken, closed], out
    assert state[good].endswith("| ok") and "fail" not in state[good] and "since" not in state[good]
    for url, error in ((broken, "http_status: HTTP 500"), (closed, "network_error: ")):
        m = re.search(r"\| failing x2 since (\d{4}-\d\d-\d\d \d\d:\d\d) UTC: (.*)$", state[url])
        assert m and m.group(2).startswith(error), state[url]
        assert started <= datetime.strptime(m.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC) <= datetime.now(UTC)
    # piped, the list stays one URL a line, for scripts
    assert monitor("--config", str(cfg), "feeds", "list").stdout.split() == [good, broken, closed]


def test_feeds_add_remove_import_export(cfg, tmp_path, feed_server):
    extra = feed_server.add("/extra.xml", (FEEDS / "openai_fr.xml").read_bytes())
    assert f"added {extra}" in monitor("--config", str(cfg), "feeds", "add", extra).stdout
    opml = monitor("--config", str(cfg), "feeds", "export").stdout
    assert extra in opml
    monitor("--config", str(cfg), "feeds", "remove", extra)
    assert extra not in monitor("--config", str(cfg), "feeds", "list").stdout.split()
    f = tmp_path / "in.opml"
    f.write_text(opml)
    assert "imported 0 new feeds (7 in the file)" in monitor("--config", str(cfg), "feeds", "import", str(f)).stdout
    assert extra in monitor("--config", str(cfg), "feeds", "list").stdout.split()  # import re-enables it
    bad = monitor("--config", str(cfg), "feeds", "add", "ftp://x", check=False)
    assert bad.returncode == 2 and "not an http(s) URL" in bad.stderr


def test_config_typo_exits_2_with_the_key(tmp_path):
    c = tmp_path / "c.toml"
    c.write_text('[[digests]]\nname = "d"\nschedule = "0 8 * * *"\nsinks = ["slak"]\n')
    p = monitor("--config", str(c), "poll", check=False)
    assert p.returncode == 2
    assert p.stderr.strip() == f"monitor: error: {c}: digests[0].sinks: unknown sink 'slak' (known: none) (line 4)"
    assert not (tmp_path / "monitor.db").exists()


def test_digest_send_to_sink_with_missing_variable_is_an_error(tmp_path, feed_server):
    urls = serve_fixtures(feed_server)
    c = write_config(tmp_path / "c.toml", config_dict(urls, None, f"sqlite:///{tmp_path / 'm.db'}"))
    assert monitor("--config", str(c), "poll").returncode == 0
    p = monitor("--config", str(c), "digest", "send", "daily", check=False)
    assert p.returncode == 2 and "HOOK_URL is not set" in p.stderr


def test_match_and_explain_need_no_config(tmp_path):
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"id": "a", "title": "OpenAI raises $6.6 billion at a $157 billion valuation",
                                 "summary": ""}) + "\n" + json.dumps({"id": "b", "title": "Bike lanes"}) + "\n")
    out = [json.loads(x) for x in monitor("match", "--jsonl", str(items)).stdout.splitlines()]
    assert [o["match"] for o in out] == [True, False]
    assert set(out[0]) >= {"id", "match", "score", "topic", "reasons", "event"}
    expl = monitor("explain", "OpenAI raises $6.6 billion at a $157 billion valuation").stdout
    assert "MATCH" in expl


def test_db_upgrade(tmp_path):
    c = write_config(tmp_path / "c.toml", {"database": {"url": "sqlite:///x.db"}})
    assert "database at revision 0" in monitor("--config", str(c), "db", "upgrade").stdout
    assert (tmp_path / "x.db").exists()


def _wait(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.2)
    return False


def _start_daemon(cfg_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(cfg_path), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e, cwd=ROOT)


def _stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("daemon did not stop within 10 s of SIGTERM") from None
    return proc.returncode, err


def test_run_sends_missed_digest_at_start_and_stops_on_sigterm(tmp_path, feed_server, receiver):
    urls = serve_fixtures(feed_server)
    d = config_dict(urls, receiver, f"sqlite:///{tmp_path / 'm.db'}", polling={"max_age_days": 100000,
                                                                              "tick_seconds": 1})
    d["digests"][0].update(schedule="* * * * *", grace_minutes=5)
    c = write_config(tmp_path / "c.toml", d)
    proc = _start_daemon(c)
    try:
        assert _wait(lambda: any(p["path"] == "/hook" for p in receiver.posts), 45), "no digest arrived"
    finally:
        code, err = _stop(proc)
    assert code == 0, err
    assert "stopped" in err


@pytest.mark.slow
def test_run_sends_the_digest_at_its_cron_time(tmp_path, feed_server, receiver):
    urls = serve_fixtures(feed_server)
    d = config_dict(urls, receiver, f"sqlite:///{tmp_path / 'm.db'}", polling={"max_age_days": 100000,
                                                                              "tick_seconds": 1})
    d["digests"][0].update(schedule="* * * * *", grace_minutes=0)
    c = write_config(tmp_path / "c.toml", d)
    proc = _start_daemon(c)
    try:
        assert _wait(lambda: any(p["path"] == "/hook" for p in receiver.posts), 75), "no digest at cron time"
        sent_at = json.loads([p for p in receiver.posts if p["path"] == "/hook"][0]["body"])["sent_at"]
        assert sent_at[17:19] in ("00", "01", "02", "03", "04", "05")  # seconds after the minute
    finally:
        code, err = _stop(proc)
    assert code == 0, err
    assert len([p for p in receiver.posts if p["path"] == "/hook"]) == 1


def test_second_daemon_on_the_same_sqlite_file_exits_at_once(tmp_path, feed_server, receiver):
    d = config_dict([], receiver, f"sqlite:///{tmp_path / 'm.db'}")
    c = write_config(tmp_path / "c.toml", d)
    first = _start_daemon(c)
    try:
        assert _wait(lambda: (tmp_path / "m.db.lock").exists(), 20)
        time.sleep(1)
        second = monitor("--config", str(c), "run", check=False, timeout=30)
        assert second.returncode == 1 and "another monitor daemon is running" in second.stderr
    finally:
        code, err = _stop(first)
    assert code == 0, err


def test_explain_a_stored_article_by_its_url(cfg):
    monitor("--config", str(cfg), "poll")
    out = monitor("--config", str(cfg), "explain",
                  "https://wire.example/2025/03/31/openai-closes-40-billion-round?utm_source=x").stdout
    assert "OpenAI closes $40 billion" in out and "MATCH" in out
    missing = monitor("--config", str(cfg), "explain", "https://nowhere.example/x", check=False)
    assert missing.returncode == 2 and "no stored article" in missing.stderr


def test_feeds_add_discovers_the_feed_of_a_page(cfg, feed_server):
    feed_server.add("/site/", b'<html><head><link rel="alternate" type="application/rss+xml" title="Wire" '
                              b'href="/en.xml"></head><body>hi</body></html>', content_type="text/html")
    out = monitor("--config", str(cfg), "feeds", "add", feed_server.url("/site/")).stdout
    assert f"declares the feed {feed_server.url('/en.xml')}" in out
    feed_server.add("/plain/", b"<html><body>no feed here</body></html>", content_type="text/html")
    p = monitor("--config", str(cfg), "feeds", "add", feed_server.url("/plain/"), check=False)
    assert p.returncode == 2 and "declares none" in p.stderr
    out = monitor("--config", str(cfg), "feeds", "add", "https://extra.invalid/rss", check=False)
    assert out.returncode == 2 and "cannot fetch" in out.stderr


def test_demo_runs_offline_and_ends_with_the_html_path(tmp_path):
    out = monitor("demo", env={"HOME": str(tmp_path)}).stdout.strip().splitlines()
    page = Path(out[-1])
    assert page.is_absolute() and page.exists()
    html = page.read_text()
    assert "OpenAI" in html and "Example Tech Wire" in html
    assert "Sources (2)" in "\n".join(out)  # the French and German reports of one revenue figure
    import shutil

    shutil.rmtree(page.parent)
