#!/usr/bin/env python3
"""End-to-end polling benchmark: the project's real poll pipeline against reader 3.x, same farm.

Usage: .venv/bin/python scripts/bench.py [--feeds 1000] [--repeats 3]
       .venv/bin/python scripts/bench.py --feeds 1000 --profile /tmp/prof   # py-spy, per round

What it does (every loop has a count and a time limit; all traffic goes to 127.0.0.1):

1. Provisions reader 3.26 (+ sgmllib3k, which its feedparser needs) in its own virtual
   environment, created on first use and then reused (``--reader-venv``; default
   ``~/.cache/monitor-bench/reader-3.26-venv``, outside the checkout).
2. Starts ``../shared/bench/feedfarm.py`` as a child process serving N feeds.
3. For each repeat (interleaved, the order rotated every repeat), runs each configuration in
   a fresh subprocess after resetting the farm, so both see identical bytes:

   - ``monitor``: ``make_monitor(settings)`` exactly as ``monitor poll`` builds it (parse pool
     of min(2, cores) processes, the CLI's logging set-up), with a fresh SQLite database, the
     shipped ``config.toml``'s ``[polling]`` settings and its ``openai-funding-revenue`` topic,
     the farm's feeds, no digests or sinks. Feeds are registered first (untimed, like
     reader's ``add_feed``), then three timed rounds of ``Monitor.poll(all_feeds=True)``
     (what ``monitor poll --all`` runs) on one monitor: all new, all unchanged (304), and
     10% changed (after ``/_farm/advance?fraction=0.1``).
   - ``reader``: reader-w1 exactly as ``../shared/bench/bench_anchor.py`` measures it:
     ``add_feed`` for every URL (untimed), then ``update_feeds_iter(scheduled=False)``
     for the same three rounds.

4. Checks every round against the farm's counters (``/_farm/stats``: one request per feed,
   statuses 200/304 as expected) and the stored article counts against the farm's entries.
5. Prints a table for people and, as its last line, one JSON object for machines:
   ``{"feeds": N, "new_x": R1, "unchanged_x": R2, "changed_x": R3, "peak_rss_mib": M}``.

Measurement: wall = ``perf_counter`` around the poll call; CPU = utime+stime (+ reaped
children's) of the worker process and every live descendant (the parse pool's forkserver and
workers), read from ``/proc/<pid>/stat`` before and after the round; peak RSS = the sum of
``VmHWM`` from ``/proc/<pid>/status`` over the worker process and all its descendants, sampled
every 0.25 s during each round and read at its end (a pool process that exits within the round
counts with its last sample), max over rounds and repeats. Ratios are reader's wall / monitor's wall
within the same repeat, then the median over repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
FARM_DIR = Path(os.environ.get("MONITOR_BENCH_FARM_DIR", str(ROOT.parent / "shared" / "bench")))
READER_REQUIREMENTS = ("reader==3.26", "sgmllib3k==1.0.0")
_CACHE = Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")))
READER_VENV = Path(os.environ.get("MONITOR_BENCH_READER_VENV", str(_CACHE / "monitor-bench" / "reader-3.26-venv")))
ROUNDS = ("new", "unchanged", "changed10")
CONFIGS = ("monitor", "reader")
PROJECT_PYTHON = Path(os.environ.get("MONITOR_VENV", str(ROOT / ".venv"))) / "bin" / "python"


# ---- process measurements (standard library only: both workers use them) ------------------


def _ppid_map() -> dict[int, int]:
    out: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                out[int(name)] = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return out


def _children(pid: int) -> list[int] | None:
    """Direct children from /proc/<pid>/task/*/children (cheap), or None where the kernel lacks it."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    out: list[int] = []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(x) for x in fh.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue   # the thread ended meanwhile
            return None   # no CONFIG_PROC_CHILDREN
        except OSError:
            continue
    return out


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren, ...). Read from each process's
    children lists (a few files), not by scanning all of /proc: the sampler runs 4 times a second
    inside the measured process and must cost next to nothing."""
    kids: dict[int, list[int]] = {}
    first = _children(pid)
    if first is None:   # fall back to one scan of every process's parent
        for p, pp in _ppid_map().items():
            kids.setdefault(pp, []).append(p)
    else:
        todo, seen = list(first), 0
        kids[pid] = first
        while todo and seen < 10_000:
            p = todo.pop()
            seen += 1
            kids[p] = _children(p) or []
            todo.extend(kids[p])
    out, todo = [], list(kids.get(pid, ()))
    while todo and len(out) < 10_000:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return sorted(out)


def status_kb(pid: int | str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime + cutime + cstime of each pid (reaped children count in their parent)."""
    tck = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in f[11:15]) / tck
        except (OSError, ValueError, IndexError):
            pass
    return total


def system_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:]]
    return (sum(f[:8]) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def process_tree_rss() -> list[dict]:
    """VmHWM / VmRSS of this process and every descendant, with a role for each."""
    me = os.getpid()
    direct = set(_children(me) or ())
    rows = []
    for pid in [me, *descendants(me)]:
        cmd = _cmdline(pid)
        if pid == me:
            role = "main"
        elif "resource_tracker" in cmd:
            role = "resource_tracker"
        elif "forkserver" in cmd and pid in direct:
            role = "forkserver"
        elif "forkserver" in cmd or "multiprocessing" in cmd:
            role = "pool_worker"
        else:
            role = "other"
        rows.append({"pid": pid, "role": role, "hwm_kb": status_kb(pid, "VmHWM"),
                     "rss_kb": status_kb(pid, "VmRSS")})
    return rows


class Meter:
    """One round: wall, CPU of this process tree, the farm's counters and CPU."""

    def __init__(self, farm) -> None:
        self.farm = farm

    def start(self) -> Meter:
        import threading

        self.f0 = self.farm.stats(reset=True)
        # pool processes may start and exit within a round (the parse pool is started lazily and
        # released when idle): sample the tree's VmHWM meanwhile, so their peak is still counted
        self.seen: dict[int, dict] = {}
        self.sampling = threading.Event()

        def sample() -> None:
            while not self.sampling.wait(0.25):
                self._merge(process_tree_rss())

        self.sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
        self.sampler.start()
        me = os.getpid()
        self.c0 = cpu_seconds([me, *descendants(me)])
        self.s0 = system_busy_seconds()
        self.t0 = time.perf_counter()
        return self

    def stop(self) -> dict:
        wall = time.perf_counter() - self.t0
        me = os.getpid()
        cpu = cpu_seconds([me, *descendants(me)]) - self.c0
        busy = system_busy_seconds() - self.s0
        f1 = self.farm.stats()
        self.sampling.set()
        self.sampler.join()
        self._merge(process_tree_rss())
        procs = list(self.seen.values())
        farm_cpu = (f1["cpu_user"] + f1["cpu_sys"]) - (self.f0["cpu_user"] + self.f0["cpu_sys"])
        return {"wall": wall, "cpu": cpu, "farm_cpu": farm_cpu,
                # CPU that neither this run nor the farm used: other processes sharing the machine
                "other_cores": max(0.0, busy - cpu - farm_cpu) / wall if wall > 0 else 0.0,
                "farm_requests": f1["requests"], "farm_status": f1["status"],
                "farm_connections": f1["connections"], "farm_bytes": f1["bytes_out"],
                "farm_max_per_feed": max(f1["feed_requests"].values(), default=0),
                "farm_feeds_requested": len(f1["feed_requests"]),
                "procs": procs, "rss_sum_kb": sum(p["hwm_kb"] for p in procs)}


    def _merge(self, rows: list[dict]) -> None:
        for r in rows:
            if r["hwm_kb"] and r["hwm_kb"] >= self.seen.get(r["pid"], {}).get("hwm_kb", 0):
                self.seen[r["pid"]] = r


class PySpy:
    """py-spy attached to this process (and its descendants) for one round; raw output."""

    def __init__(self, exe: str, out: str, rate: int = 100) -> None:
        self.out = out
        self.proc = subprocess.Popen([exe, "record", "-f", "raw", "-r", str(rate), "-o", out, "--subprocesses",
                                      "--pid", str(os.getpid())], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        time.sleep(1.0)   # let it attach
        if self.proc.poll() is not None:
            raise RuntimeError(f"py-spy exited: {self.proc.stderr.read().decode()[-500:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)   # our own child, by its handle
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class _FarmControl:
    """The farm's control endpoints over plain urllib, for the measured workers: importing
    ``feedfarm`` itself (its server, argparse, gzip, ...) would add ~3 MiB of harness to the
    peak RSS of whichever configuration runs (``feedfarm.FarmClient`` is the same calls)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _call(self, method: str, path: str) -> dict:
        import urllib.request

        req = urllib.request.Request(self.base_url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def advance(self, fraction: float) -> dict:
        return self._call("POST", f"/_farm/advance?rounds=1&fraction={fraction}")

    def stats(self, reset: bool = False) -> dict:
        return self._call("GET", "/_farm/stats" + ("?reset=1" if reset else ""))

    def feed_urls(self, n: int) -> list[str]:
        return [f"{self.base_url}/feed/{i}" for i in range(n)]


def _farm_client(base: str) -> _FarmControl:
    return _FarmControl(base)


# ---- worker: the project's poll pipeline ---------------------------------------------------


def worker_monitor(a: argparse.Namespace, deadline: float) -> dict:
    import tomllib

    code = Path(a.code_root) if a.code_root else ROOT   # a snapshot: others may be editing monitor/
    sys.path.insert(0, str(code))
    from monitor.app import make_monitor
    from monitor.config import settings_from_dict
    from monitor.logs import setup_logging

    farm = _farm_client(a.base)
    urls = farm.feed_urls(a.n)
    setup_logging(0, "text")    # what `monitor poll` does by default (INFO lines on stderr)
    shipped = tomllib.loads((code / "config.toml").read_text(encoding="utf-8"))
    topics = [t for t in shipped.get("topics", []) if t.get("preset") == "openai-funding-revenue"]
    if not topics:
        raise SystemExit("config.toml has no topic with preset = 'openai-funding-revenue'")
    polling = dict(shipped.get("polling", {}))
    if a.per_host_concurrency:
        polling["per_host_concurrency"] = a.per_host_concurrency
    tmp = tempfile.mkdtemp(prefix="bench-monitor-")
    settings = settings_from_dict({
        "database": {"url": f"sqlite:///{tmp}/monitor.db"}, "polling": polling, "server": {"listen": ""},
        "feeds": [{"url": u} for u in urls], "topics": topics})
    import monitor

    out: dict = {"rounds": {}, "polling": polling, "rss_base_kb": status_kb("self", "VmRSS"),
                 "monitor_file": monitor.__file__}

    async def run() -> None:
        monitor = make_monitor(settings)
        async with monitor:
            deps = monitor.deps
            t0 = time.perf_counter()   # register the feeds untimed (reader's add_feed is untimed too)
            await deps.call_store(deps.store.sync_config_feeds, settings.feeds, deps.clock.now())
            out["add_feeds_s"] = time.perf_counter() - t0
            for name in ROUNDS:
                if name == "changed10":
                    out["advance"] = farm.advance(0.1)
                spy = PySpy(a.py_spy, f"{a.profile}/{name}.txt") if a.profile else None
                meter = Meter(farm).start()
                try:
                    report = await asyncio.wait_for(monitor.poll(all_feeds=True),
                                                    max(1.0, deadline - time.monotonic()))
                    m = meter.stop()
                finally:
                    if spy:
                        spy.stop()
                st = await deps.call_store(deps.store.stats)
                failed = report.failed
                m.update(feeds=len(report.feeds), entries_new=sum(f.new_articles for f in report.feeds),
                         matches_new=sum(f.new_matches for f in report.feeds),
                         stories_new=sum(f.new_stories for f in report.feeds),
                         not_modified=sum(1 for f in report.feeds if f.not_modified), failed=len(failed),
                         errors=[f"{f.url}: {f.error}" for f in failed[:5]],
                         db_entries=st.articles, db_stories=st.stories)
                out["rounds"][name] = m
                out["db_entries"] = st.articles
        out["db_bytes"] = sum(f.stat().st_size for f in Path(tmp).iterdir())

    try:
        asyncio.run(run())
    finally:
        for f in Path(tmp).iterdir():
            f.unlink()
        os.rmdir(tmp)
    out["rss_peak_kb"] = status_kb("self", "VmHWM")
    return out


# ---- worker: reader (runs in reader's own virtual environment) -----------------------------


def worker_reader(a: argparse.Namespace, deadline: float) -> dict:
    from reader import make_reader

    farm = _farm_client(a.base)
    urls = farm.feed_urls(a.n)
    out: dict = {"rounds": {}, "rss_base_kb": status_kb("self", "VmRSS")}
    tmp = tempfile.mkdtemp(prefix="bench-reader-")
    try:
        r = make_reader(os.path.join(tmp, "db.sqlite"))
        t0 = time.perf_counter()
        for u in urls:
            r.add_feed(u)
        out["add_feeds_s"] = time.perf_counter() - t0
        for name in ROUNDS:
            if name == "changed10":
                out["advance"] = farm.advance(0.1)
            n200 = n304 = nerr = new = 0
            errors = []
            meter = Meter(farm).start()
            for url, value in r.update_feeds_iter(scheduled=False, workers=1):
                if value is None:
                    n304 += 1
                elif isinstance(value, Exception):
                    nerr += 1
                    errors.append(f"{url}: {value!r}"[:300])
                else:
                    n200 += 1
                    new += value.new
                if time.monotonic() > deadline:
                    raise TimeoutError("reader round exceeded the time bound")
            m = meter.stop()
            total = r.get_entry_counts().total
            m.update(feeds=n200 + n304 + nerr, entries_new=new, not_modified=n304, failed=nerr,
                     errors=errors[:5], db_entries=total)
            out["rounds"][name] = m
            out["db_entries"] = total
        r.close()
        out["db_bytes"] = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    out["rss_peak_kb"] = status_kb("self", "VmHWM")
    return out


def worker_main(a: argparse.Namespace) -> int:
    deadline = time.monotonic() + a.worker_timeout
    t0 = time.perf_counter()
    res = (worker_monitor if a.worker == "monitor" else worker_reader)(a, deadline)
    res.update(config=a.worker, n=a.n, total_s=time.perf_counter() - t0, pid=os.getpid())
    print("RESULT " + json.dumps(res), flush=True)
    return 0


# ---- orchestration -------------------------------------------------------------------------


def ensure_reader_venv(venv: Path) -> Path:
    """Create reader's own virtual environment on first use; reuse it afterwards."""
    py = venv / "bin" / "python"
    stamp = venv / (".bench-" + hashlib.sha256(" ".join(READER_REQUIREMENTS).encode()).hexdigest()[:12])
    if py.exists() and stamp.exists():
        return py
    print(f"# provisioning reader in {venv} ({' '.join(READER_REQUIREMENTS)}) ...", flush=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *READER_REQUIREMENTS], check=True, timeout=900)
    subprocess.run([str(py), "-c", "import sgmllib, reader; reader.make_reader(':memory:').close()"],
                   check=True, timeout=120)
    stamp.touch()
    return py


def versions(py: Path | str, pkgs: tuple[str, ...]) -> str:
    code = ("import importlib.metadata as m, platform, sys\n"
            "out = []\n"
            f"for p in {pkgs!r}:\n"
            "    try: out.append(f'{p}=={m.version(p)}')\n"
            "    except m.PackageNotFoundError: out.append(f'{p}:absent')\n"
            "print('Python ' + platform.python_version() + ' ' + ' '.join(out))")
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, timeout=60)
    return (r.stdout or r.stderr).strip()


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"nproc={os.cpu_count()} cpu='{model}' mem={mem:.0f}GiB {platform.platform()}"


def snapshot_code(dest: str) -> str:
    """Copy monitor/ and config.toml: every run of this benchmark measures the same code even
    while the checkout is being edited. Returns a short hash of the copied files."""
    h = hashlib.sha256()
    shutil.copytree(ROOT / "monitor", Path(dest) / "monitor", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(ROOT / "config.toml", Path(dest) / "config.toml")
    for f in sorted(Path(dest).rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(dest)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def git_state() -> str:
    def git(*args: str) -> str:
        r = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=30)
        return r.stdout.strip()
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "monitor")
    return f"{git('rev-parse', '--short', 'HEAD')}" + (" + uncommitted changes in monitor/" if dirty else "")


def _kill_tree(p: subprocess.Popen) -> None:
    """Kill a worker we started and the processes it started (by pid, children first)."""
    for pid in reversed(descendants(p.pid)):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    p.kill()


def settle(max_seconds: float, threshold: float = 0.3) -> float:
    """Wait (at most ``max_seconds``) until other processes use less than ``threshold`` cores
    over one second; returns the last measured load in cores."""
    deadline = time.monotonic() + max_seconds
    while True:
        me = os.getpid()
        c0, s0, t0 = cpu_seconds([me, *descendants(me)]), system_busy_seconds(), time.perf_counter()
        time.sleep(1.0)
        load = (system_busy_seconds() - s0 - (cpu_seconds([me, *descendants(me)]) - c0)) / (time.perf_counter() - t0)
        if load < threshold or time.monotonic() >= deadline:
            return max(0.0, load)


def run_worker(cfg: str, python: Path, base: str, a: argparse.Namespace, profile: str | None = None) -> dict:
    args = [str(python), str(Path(__file__).resolve()), "--worker", cfg, "--base", base, "--n", str(a.feeds),
            "--worker-timeout", str(a.worker_timeout)]
    if a.per_host_concurrency:
        args += ["--per-host-concurrency", str(a.per_host_concurrency)]
    if cfg == "monitor" and a.code_root:
        args += ["--code-root", a.code_root]
    if profile:
        args += ["--profile", profile, "--py-spy", a.py_spy]
    with tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True, cwd=tempfile.gettempdir())
        try:
            so, _ = p.communicate(timeout=a.worker_timeout + 60)
        except subprocess.TimeoutExpired:
            _kill_tree(p)
            p.communicate(timeout=30)
            return {"config": cfg, "error": "timeout"}
        err.seek(0)
        se = err.read()
    for line in so.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[7:])
            res["stderr_lines"] = se.count("\n")
            res["stderr_warnings"] = [ln for ln in se.splitlines() if " WARNING " in ln or " ERROR " in ln][:5]
            return res
    return {"config": cfg, "error": f"exit {p.returncode}: " + (se or so)[-2000:]}


def check(res: dict, info: dict) -> list[str]:
    """Counts against the farm: requests and statuses per round, stored entries."""
    n = info["n"]
    live = info["entries_live"]
    problems = []
    adv = res.get("advance", {})
    changed, added = adv.get("changed_feeds", 0), adv.get("new_entries", 0)
    expect = {"new": ({"200": n}, live, live),
              "unchanged": ({"304": n}, 0, live),
              "changed10": ({"200": changed, "304": n - changed}, added, live + added)}
    for name, (status, new, stored) in expect.items():
        rd = res["rounds"].get(name)
        if rd is None:
            problems.append(f"{name}: missing")
            continue
        got = {k: v for k, v in rd["farm_status"].items() if v}
        want = {k: v for k, v in status.items() if v}
        pre = f"{res['config']} {name}:"
        if got != want:
            problems.append(f"{pre} farm statuses {got} != expected {want}")
        if rd["farm_requests"] != n or rd["farm_feeds_requested"] != n or rd["farm_max_per_feed"] != 1:
            problems.append(f"{pre} farm saw {rd['farm_requests']} requests for {rd['farm_feeds_requested']} "
                            f"feeds (max {rd['farm_max_per_feed']} per feed), expected {n} x 1")
        if rd["feeds"] != n or rd["failed"]:
            problems.append(f"{pre} {rd['feeds']} feeds polled, {rd['failed']} failed {rd['errors'][:2]}")
        if rd["entries_new"] != new:
            problems.append(f"{pre} {rd['entries_new']} new entries reported, farm published {new}")
        if rd["db_entries"] != stored:
            problems.append(f"{pre} {rd['db_entries']} entries stored, farm has {stored}")
    return problems


def _med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def summarize(results: list[dict], n: int) -> dict:
    ok = [r for r in results if "error" not in r]
    rows = {}
    for cfg in CONFIGS:
        for rn in ROUNDS:
            lst = [(r["repeat"], r["rounds"][rn]) for r in ok if r["config"] == cfg and rn in r["rounds"]]
            if not lst:
                continue
            walls = [rd["wall"] for _, rd in lst]
            new = _med([rd["entries_new"] for _, rd in lst])
            rows[(cfg, rn)] = dict(
                runs=len(lst), wall_med=_med(walls), wall_min=min(walls), wall_max=max(walls),
                entries_new=new, entries_s=new / _med(walls), feeds_s=n / _med(walls),
                cpu_med=_med([rd["cpu"] for _, rd in lst]), farm_cpu_med=_med([rd["farm_cpu"] for _, rd in lst]),
                other_med=_med([rd.get("other_cores", 0.0) for _, rd in lst]),
                status=lst[0][1]["farm_status"], conns=lst[0][1]["farm_connections"],
                walls={rep: rd["wall"] for rep, rd in lst})
    for rn in ROUNDS:
        p, q = rows.get(("monitor", rn)), rows.get(("reader", rn))
        if p and q:
            ratios = [q["walls"][rep] / w for rep, w in p["walls"].items() if rep in q["walls"]]
            p["x_reader"] = _med(ratios)
            p["x_reader_all"] = ratios
    return rows


def rss_summary(results: list[dict], cfg: str) -> tuple[float, str]:
    """Max over repeats and rounds of the summed VmHWM; the breakdown of that worst case."""
    best, text = 0.0, ""
    for r in results:
        if r.get("config") != cfg or "error" in r:
            continue
        for rd in r["rounds"].values():
            total = rd["rss_sum_kb"] / 1024
            if total >= best:
                by_role: dict[str, list[float]] = {}
                for p in rd["procs"]:
                    by_role.setdefault(p["role"], []).append(p["hwm_kb"] / 1024)
                parts = [f"{role} " + "+".join(f"{v:.0f}" for v in vals) for role, vals in by_role.items()]
                best, text = total, ", ".join(parts)
    return best, text


def print_table(rows: dict, results: list[dict], info: dict, a: argparse.Namespace) -> None:
    n = info["n"]
    print(f"\nN={n} feeds ({info['rss']} RSS + {info['atom']} Atom), {info['entries_live']:,} entries, "
          f"{info['bytes_identity'] / 1e6:.1f} MB ({(info['bytes_gzip'] or 0) / 1e6:.1f} MB gzip); "
          f"{a.repeats} repeats, interleaved, order rotated; medians")
    hdr = (f"{'round':10s} {'config':8s} {'wall s med (min-max)':>22s} {'entries/s':>10s} {'feeds/s':>8s} "
           f"{'CPU s':>6s} {'farmCPU':>7s} {'other':>5s} {'x reader':>8s}  farm statuses / connections")
    print(hdr)
    print("-" * len(hdr))
    for rn in ROUNDS:
        for cfg in CONFIGS:
            r = rows.get((cfg, rn))
            if not r:
                continue
            xr = f"{r['x_reader']:8.2f}" if "x_reader" in r else "       -"
            wall = f"{r['wall_med']:.3f} ({r['wall_min']:.3f}-{r['wall_max']:.3f})"
            st = ",".join(f"{k}:{v}" for k, v in sorted(r["status"].items()))
            print(f"{rn:10s} {cfg:8s} {wall:>22s} {r['entries_s']:10,.0f} {r['feeds_s']:8,.0f} "
                  f"{r['cpu_med']:6.2f} {r['farm_cpu_med']:7.2f} {r['other_med']:5.2f} {xr}  {st} / {r['conns']}")
    for cfg in CONFIGS:
        mib, parts = rss_summary(results, cfg)
        if mib:
            print(f"peak RSS {cfg:8s} {mib:6.1f} MiB  (sum of VmHWM: {parts})")
    print("entries/s = new entries stored / median wall; CPU = worker process + all descendants (utime+stime); "
          "other = cores used meanwhile by processes outside the benchmark; "
          "x reader = reader wall / monitor wall in the same repeat, median over repeats")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reader-venv", default=str(READER_VENV))
    ap.add_argument("--per-host-concurrency", type=int, default=None,
                    help="override the shipped [polling] per_host_concurrency (the farm is a single host)")
    ap.add_argument("--worker-timeout", type=float, default=1200, help="seconds per configuration run")
    ap.add_argument("--settle-max", type=float, default=60,
                    help="before each run wait up to this many seconds for other processes to go quiet")
    ap.add_argument("--max-minutes", type=float, default=120, help="stop starting new runs after this")
    ap.add_argument("--json-out", default=None, help="write the raw results here")
    ap.add_argument("--profile", default=None, metavar="DIR",
                    help="instead of the comparison: one monitor run with py-spy per round, raw files in DIR")
    ap.add_argument("--py-spy", default=str(PROJECT_PYTHON.parent / "py-spy"))
    ap.add_argument("--code-root", help=argparse.SUPPRESS)
    ap.add_argument("--worker", choices=CONFIGS, help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        return worker_main(a)
    if not 1 <= a.feeds <= 100_000 or not 1 <= a.repeats <= 50:
        ap.error("--feeds must be 1..100000 and --repeats 1..50")

    sys.path.insert(0, str(FARM_DIR))
    project_py = PROJECT_PYTHON if PROJECT_PYTHON.exists() else Path(sys.executable)
    reader_py = None if a.profile else ensure_reader_venv(Path(a.reader_venv))
    with tempfile.TemporaryDirectory(prefix="bench-code-") as code:
        a.code_root = code
        tree = snapshot_code(code)
        return _compare(a, project_py, reader_py, tree)


def _compare(a: argparse.Namespace, project_py: Path, reader_py: Path | None, tree: str) -> int:
    import feedfarm

    started = time.monotonic()
    print(f"# bench {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} feeds={a.feeds} repeats={a.repeats} "
          f"monitor@{git_state()} (snapshot {tree})\n# {machine()}\n"
          f"# monitor: {versions(project_py, ('httpx', 'httpcore', 'anyio', 'sniffio', 'feedparser', 'sqlalchemy'))}",
          flush=True)
    if reader_py:
        print(f"# reader ({a.reader_venv}): {versions(reader_py, ('reader', 'feedparser', 'requests'))}", flush=True)
    results: list[dict] = []
    with feedfarm.FarmProcess(n_feeds=a.feeds, seed=a.seed, max_seconds=a.max_minutes * 60 + 1800) as farm:
        info = farm.info()
        info["n"] = a.feeds
        print(f"# farm pid {farm.pid} {farm.base_url}: {info['entries_live']} entries", flush=True)
        if a.profile:
            os.makedirs(a.profile, exist_ok=True)
            farm.reset()
            res = run_worker("monitor", project_py, farm.base_url, a, profile=os.path.abspath(a.profile))
            if "error" in res:
                print(f"ERROR {res['error']}")
                return 1
            for rn, rd in res["rounds"].items():
                print(f"  {rn:10s} wall {rd['wall']:.3f}s (under py-spy) cpu {rd['cpu']:.2f}s "
                      f"-> {a.profile}/{rn}.txt")
            from bench_profile import report
            for rn in ROUNDS:
                report(os.path.join(a.profile, f"{rn}.txt"), main_pid=res["pid"], title=rn)
            return 0
        pythons = {"monitor": project_py, "reader": reader_py}
        for rep in range(a.repeats):
            order = CONFIGS[rep % 2:] + CONFIGS[:rep % 2]
            for cfg in order:
                if time.monotonic() - started > a.max_minutes * 60:
                    print(f"  time limit ({a.max_minutes} min) reached: skipping the remaining runs", flush=True)
                    break
                farm.reset()
                load = settle(a.settle_max) if a.settle_max > 0 else 0.0
                t0 = time.perf_counter()
                res = run_worker(cfg, pythons[cfg], farm.base_url, a)
                res["repeat"] = rep
                res["load_before"] = load
                if "error" not in res:
                    res["problems"] = check(res, info)
                    if cfg == "monitor" and not res["monitor_file"].startswith(a.code_root):
                        res["problems"].append(f"monitor imported from {res['monitor_file']}, not the snapshot")
                results.append(res)
                walls = " ".join(f"{rn} {rd['wall']:.3f}s" for rn, rd in res.get("rounds", {}).items())
                other = max((rd["other_cores"] for rd in res.get("rounds", {}).values()), default=0.0)
                print(f"  rep {rep} {cfg:8s} {time.perf_counter() - t0:6.1f}s  {walls}  (other load: "
                      f"{load:.2f} cores before, up to {other:.2f} during) "
                      f"{'ERROR ' + res['error'][:500] if 'error' in res else ''}", flush=True)
                for prob in res.get("problems", []):
                    print(f"    CHECK FAILED {prob}", flush=True)
    rows = summarize(results, a.feeds)
    print_table(rows, results, info, a)
    problems = [p for r in results for p in r.get("problems", [])] + \
        [f"{r['config']} rep {r['repeat']}: {r['error'][:200]}" for r in results if "error" in r]
    n_ok = sum(1 for r in results if "error" not in r)
    print(f"checks: {'all passed' if not problems else f'{len(problems)} FAILED'} ({n_ok} runs; per round: "
          f"one request per feed, farm statuses 200/304 as published, new and stored entries == farm entries)")
    for r in results:
        if r.get("stderr_warnings"):
            print(f"  {r['config']} rep {r['repeat']} logged: {r['stderr_warnings'][:2]}")
    if a.json_out:
        with open(a.json_out, "w") as fh:
            json.dump({"results": results, "info": info, "machine": machine(), "argv": sys.argv}, fh, indent=1)
    mrss, _ = rss_summary(results, "monitor")

    def x(rn: str) -> float | None:
        v = rows.get(("monitor", rn), {}).get("x_reader")
        return round(v, 2) if v is not None else None

    print(json.dumps({"feeds": a.feeds, "new_x": x("new"), "unchanged_x": x("unchanged"),
                      "changed_x": x("changed10"), "peak_rss_mib": round(mrss, 1)}))
    return 0 if not problems else 2


if __name__ == "__main__":
    sys.exit(main())
