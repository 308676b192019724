#!/usr/bin/env python3
"""Where the poll process's memory goes: RSS after each stage of `monitor poll --all`'s pipeline.

Usage: python scripts/bench_memory.py [--feeds 1000]

Starts ``../shared/bench/feedfarm.py`` as a child process, then, in this process, imports the
project, loads the shipped ``config.toml``'s ``[polling]`` section and ``openai-funding-revenue``
topic (compiling it), opens a monitor on a fresh SQLite file (``make_monitor``, as the CLI does),
registers the farm's feeds and polls them three times: all new, all unchanged, 10 % changed.
After each stage it prints VmRSS and VmHWM (``/proc/self/status``), what grew by mapping
(``/proc/self/smaps``: the heap, anonymous memory, shared libraries touched for the first time)
and SQLite's own memory (``sqlite3_memory_used``). One process, no parse pool (every farm body
takes the fast path), no sampler thread: a little under ``scripts/bench.py``'s figure, which
also counts its harness. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import ctypes
import json
import logging
import os
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FARM_DIR = Path(os.environ.get("MONITOR_BENCH_FARM_DIR", str(ROOT.parent / "shared" / "bench")))


def status_mib(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def by_mapping() -> collections.Counter[str]:
    """Resident KiB per mapping name (file base name, ``[heap]``, ``[anon]``, ...)."""
    out: collections.Counter[str] = collections.Counter()
    name = "[anon]"
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split()
            if head and "-" in head[0] and not head[0].endswith(":"):
                name = head[5].rsplit("/", 1)[-1] if len(head) > 5 else "[anon]"
            elif head and head[0] == "Rss:":
                out[name] += int(head[1])
    return out


def sqlite_mib() -> float | None:
    try:
        lib = ctypes.CDLL("libsqlite3.so.0")
    except OSError:
        return None
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib.sqlite3_memory_used() / 2**20


class Stages:
    def __init__(self) -> None:
        self.rows: list[dict] = []
        self._maps = by_mapping()

    def mark(self, name: str) -> None:
        maps = by_mapping()
        grew = maps.copy()
        grew.subtract(self._maps)
        self._maps = maps
        top = [f"{k} {v / 1024:+.1f}" for k, v in grew.most_common(4) if v >= 256]
        sq = sqlite_mib()
        row = {"stage": name, "rss_mib": round(status_mib("VmRSS"), 1), "hwm_mib": round(status_mib("VmHWM"), 1),
               "sqlite_mib": None if sq is None else round(sq, 2)}
        self.rows.append(row)
        print(f"{name:28s} RSS {row['rss_mib']:6.1f}  peak {row['hwm_mib']:6.1f} MiB   "
              f"grew: {', '.join(top) or '-'}" + (f"   (SQLite {sq:.1f} MiB)" if sq else ""), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    args = ap.parse_args()
    sys.path.insert(0, str(FARM_DIR))
    import feedfarm  # noqa: I001 - before the first mark: the harness is not the monitor's

    stages = Stages()
    stages.mark("python + harness")
    sys.path.insert(0, str(ROOT))
    from monitor.app import make_monitor
    from monitor.config import settings_from_dict

    stages.mark("import monitor")
    shipped = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    topics = [t for t in shipped.get("topics", []) if t.get("preset") == "openai-funding-revenue"]
    with feedfarm.FarmProcess(n_feeds=args.feeds, seed=1, max_seconds=1800) as farm, \
            tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        urls = farm.feed_urls(args.feeds)
        logging.basicConfig(level=logging.WARNING)   # no line per feed
        settings = settings_from_dict({
            "database": {"url": f"sqlite:///{tmp}/monitor.db"}, "polling": shipped.get("polling", {}),
            "server": {"listen": ""}, "feeds": [{"url": u} for u in urls], "topics": topics})
        stages.mark("config + topic compiled")

        async def run() -> None:
            monitor = make_monitor(settings)
            async with monitor:
                stages.mark("monitor open (store, pool)")
                deps = monitor.deps
                await deps.call_store(deps.store.sync_config_feeds, settings.feeds, deps.clock.now())
                stages.mark(f"{args.feeds} feeds registered")
                for name in ("round 1: all new", "round 2: unchanged", "round 3: 10 % changed"):
                    if name.startswith("round 3"):
                        farm.advance(0.1)
                    await monitor.poll(all_feeds=True)
                    stages.mark(name)

        asyncio.run(run())
    print(json.dumps({"feeds": args.feeds, "stages": stages.rows,
                      "peak_rss_mib": max(r["hwm_mib"] for r in stages.rows)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
