"""Several real `monitor` processes on one PostgreSQL database, polling the shared bench feed farm."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import config_dict, serve_fixtures
from tests.test_cli import write_config

ROOT = Path(__file__).parent.parent
BENCH = ROOT.parent / "shared" / "bench"

pytestmark = pytest.mark.skipif(not (BENCH / "feedfarm.py").exists(), reason="../shared/bench/feedfarm.py not found")


@pytest.fixture
def farm_factory():
    sys.path.insert(0, str(BENCH))
    from feedfarm import FarmProcess

    farms = []

    def make(n, extra=()):
        fp = FarmProcess(n_feeds=n, entries=5, extra_args=list(extra), max_seconds=600).start()
        farms.append(fp)
        return fp

    yield make
    for fp in farms:
        fp.stop()
    sys.path.remove(str(BENCH))


def _env():
    return {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}


def _spawn(cfg, *args):
    return subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(cfg), *args], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def test_three_workers_share_a_round_and_send_one_digest(tmp_path, postgres_url, farm_factory, feed_server,
                                                         receiver):
    farm = farm_factory(300)
    fixture = serve_fixtures(feed_server)[:1]
    d = config_dict(farm.feed_urls() + fixture, receiver, postgres_url,
                    polling={"max_age_days": 100000, "concurrency": 8, "tick_seconds": 1})
    d["digests"][0].update(grace_minutes=3 * 24 * 60, sinks=["archive"])  # the last 08:00 Paris is "missed"
    cfg = write_config(tmp_path / "c.toml", d)
    assert _finish(_spawn(cfg, "db", "upgrade"))[0] == 0

    workers = [_spawn(cfg, "poll") for _ in range(3)]
    results = [_finish(w) for w in workers]
    assert all(code == 0 for code, _, _ in results), [err for _, _, err in results]
    polled = [int(out.split()[1]) for _, out, _ in results]
    assert sum(polled) == 301 and sum(1 for n in polled if n > 0) >= 2, polled  # the round was shared
    stats = farm.stats()
    assert len(stats["feed_requests"]) == 300 and set(stats["feed_requests"].values()) == {1}
    assert feed_server.hits["/en.xml"] == 1

    daemons = [_spawn(cfg, "run") for _ in range(3)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not receiver.posts:
            time.sleep(0.2)
        time.sleep(3)  # give the other workers every chance to send it too
    finally:
        for p in daemons:
            p.send_signal(signal.SIGTERM)
        ends = [_finish(p, timeout=20) for p in daemons]
    assert all(code == 0 for code, _, _ in ends), [err[-2000:] for _, _, err in ends]
    assert len(receiver.posts) == 1
    assert json.loads(receiver.posts[0]["body"])["stories"]
    assert set(farm.stats()["feed_requests"].values()) == {1}  # nothing was due again


def _leases(postgres_url):
    """``feed url -> lease end`` (Unix time) of the feeds leased now, read from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT url, EXTRACT(EPOCH FROM lease_until) FROM feeds "
                                     "WHERE lease_until IS NOT NULL")).all()
    finally:
        engine.dispose()
    return {url: float(until) for url, until in rows}


def test_killed_worker_loses_its_leases_after_they_expire(tmp_path, postgres_url, farm_factory):
    """A `run` worker is SIGKILLed mid-round. A surviving `run` worker leaves the dead one's feeds
    alone while their leases hold, and fetches each of them within one tick (plus one lease period
    of slack) after its lease ends; it has capacity enough that its own queue does not hide that."""
    farm = farm_factory(40, extra=["--slow-fraction", "1", "--slow-delay", "1.5"])
    lease, tick = 6, 1
    d = config_dict(farm.feed_urls(), None, postgres_url,
                    polling={"max_age_days": 100000, "concurrency": 4, "timeout_seconds": 3, "lease_seconds": lease,
                             "tick_seconds": tick})
    d["digests"] = []
    d["sinks"] = {}
    victim_cfg = write_config(tmp_path / "victim.toml", d)
    d["polling"].update(concurrency=40, per_host_concurrency=40)
    survivor_cfg = write_config(tmp_path / "survivor.toml", d)
    assert _finish(_spawn(victim_cfg, "feeds", "list"))[0] == 0
    victim = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(victim_cfg), "run"], cwd=ROOT,
                              env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not farm.stats()["feed_requests"]:
        time.sleep(0.1)  # wait until it has leased a batch and is fetching (slow) feeds
    time.sleep(0.5)
    os.killpg(victim.pid, signal.SIGKILL)  # the worker and its parse pool, as a machine crash would
    victim.wait(10)
    killed = time.time()
    orphans = {u: until for u, until in _leases(postgres_url).items() if until > killed}
    assert orphans, "the victim held no lease when it was killed"
    at_kill = farm.stats()["feed_requests"]

    def key(url):
        return url.rsplit("/", 1)[-1].removesuffix(".xml")

    survivor = _spawn(survivor_cfg, "run")
    seen: dict[str, float] = {}   # orphan -> when the survivor's request was first seen
    try:
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and len(seen) < len(orphans):
            requests = farm.stats()["feed_requests"]
            now = time.time()
            for url in orphans:
                if url not in seen and requests.get(key(url), 0) > at_kill.get(key(url), 0):
                    seen[url] = now
            time.sleep(0.1)
        final = farm.stats()["feed_requests"]
    finally:
        survivor.send_signal(signal.SIGTERM)
        code, _, err = _finish(survivor, timeout=20)
    assert code == 0, err[-2000:]
    assert set(seen) == set(orphans), "some orphaned feed was never taken over"
    for url, until in orphans.items():
        # left alone while the dead worker's lease held (a sample comes after the request it sees) ...
        assert seen[url] >= until, (url, seen[url] - until)
        # ... and taken over within a tick of its expiry (one lease period of slack)
        assert seen[url] - until <= lease + tick, (url, seen[url] - until)
    assert len(final) == 40, "some feed was never polled"
