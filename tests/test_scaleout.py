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


def test_killed_worker_loses_its_leases_after_they_expire(tmp_path, postgres_url, farm_factory):
    farm = farm_factory(40, extra=["--slow-fraction", "1", "--slow-delay", "1.5"])
    lease = 6
    d = config_dict(farm.feed_urls(), None, postgres_url,
                    polling={"max_age_days": 100000, "concurrency": 4, "timeout_seconds": 3, "lease_seconds": lease})
    d["digests"] = []
    d["sinks"] = {}
    cfg = write_config(tmp_path / "c.toml", d)
    assert _finish(_spawn(cfg, "feeds", "list"))[0] == 0
    victim = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(cfg), "poll"], cwd=ROOT, env=_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not farm.stats()["feed_requests"]:
        time.sleep(0.1)  # wait until it has leased a batch and is fetching (slow) feeds
    time.sleep(0.5)
    os.killpg(victim.pid, signal.SIGKILL)  # the worker and its parse pool, as a machine crash would
    victim.wait(10)
    killed_at = time.monotonic()
    started = dict(farm.stats()["feed_requests"])
    assert started, "the victim fetched nothing before it was killed"

    code, out, err = _finish(_spawn(cfg, "poll"))
    assert code == 0, err
    after_first = farm.stats()["feed_requests"]
    leased_elsewhere = [u for u in farm.feed_urls() if after_first.get(u.rsplit("/", 1)[-1], 0) == 0]
    # some feeds were still leased by the dead worker: the survivor left them alone ...
    taken_over = time.monotonic() - killed_at
    if taken_over < lease:
        assert leased_elsewhere
    # ... and takes them over once the lease has expired
    time.sleep(max(0.0, lease - (time.monotonic() - killed_at)) + 0.5)
    code, out, err = _finish(_spawn(cfg, "poll"))
    assert code == 0, err
    final = farm.stats()["feed_requests"]
    assert len(final) == 40, "some feed was never polled"
    assert time.monotonic() - killed_at < lease + 30
