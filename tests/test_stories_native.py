"""The compiled story clustering (mypyc, see setup.py and monitor/_native.py) and the plain one agree.

The same synthetic batches (scripts/bench_cluster.py's generator: a few hundred events reported by
many outlets in several languages, syndicated copies, URL variants) and the labeled dedup pairs are
clustered in this process (compiled when the install built it) and in one that loads the hot
modules from their ``.py`` files (``MONITOR_PURE_PYTHON=1``): every story key and verdict is equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from monitor.stories import _native, cluster

ROOT = Path(__file__).resolve().parents[1]
DUMP = r"""
import json, random, sys
sys.path.insert(0, sys.argv[1])
import bench_cluster
from monitor.stories import _native, cluster_items, explain, story_features
out = []
for seed, n in ((1, 1500), (2, 400)):
    feats = [story_features(a, None) for a in bench_cluster.synth(n, random.Random(seed))]
    out.append(cluster_items(feats))
    pick = random.Random(seed)
    out.append([repr(explain(feats[pick.randrange(n)], feats[pick.randrange(n)])) for _ in range(1500)])
print(json.dumps({"compiled": _native.compiled(), "file": sys.modules["monitor.stories.cluster"].__file__,
                  "out": out}))
"""


def _dump(**env: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", DUMP, str(ROOT / "scripts")], capture_output=True, text=True,
                          check=True, env={**os.environ, **env}, timeout=300)
    return json.loads(proc.stdout)


def test_compiled_and_pure_python_cluster_the_same() -> None:
    pure = _dump(MONITOR_PURE_PYTHON="1")
    assert not pure["compiled"] and pure["file"].endswith("cluster.py")
    default = _dump(MONITOR_PURE_PYTHON="")
    assert default["compiled"] is _native.compiled()
    assert len(pure["out"][0]) == 1500 and len(set(pure["out"][0])) > 20
    assert default["out"] == pure["out"]


def test_this_process_runs_the_form_it_reports() -> None:
    assert _native.compiled() is (not (cluster.__file__ or "").endswith(".py"))
