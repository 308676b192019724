"""The compiled matcher (mypyc, see setup.py and monitor/match/_native.py) and the plain one agree.

Every decision, score, reason and event of the labeled sets and the real-world news captures is
compared between this process (compiled when the install built it) and a process that loads the
hot modules from their ``.py`` files (``MONITOR_PURE_PYTHON=1``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from monitor.match import _native, engine

SHARED = Path(__file__).resolve().parents[2] / "shared"
FILES = [SHARED / "eval" / "dev.jsonl", SHARED / "eval" / "dev_messy.jsonl"]

DUMP = r"""
import json, sys
from monitor.match import _native, build_topic, match_article, preset
from monitor.types import Article
topics = [preset("openai-funding-revenue"),
          build_topic({"name": "anthropic", "aliases": ["Anthropic", "the Claude maker"], "weak_aliases": ["Claude"],
                       "kinds": ["funding"]})]
out = []
for line in sys.stdin:
    item = json.loads(line)
    a = Article(title=item.get("title") or "", summary=item.get("summary") or "")
    for t in topics:
        m = match_article(a, t)
        out.append([m.matched, repr(m.score), [[r.rule, r.field, r.snippet] for r in m.reasons],
                    None if m.event is None else [repr(v) for v in m.event.to_dict().values()]])
print(json.dumps({"compiled": _native.compiled(), "file": sys.modules["monitor.match.engine"].__file__, "out": out}))
"""


def _dump(lines: str, **env: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", DUMP], input=lines, capture_output=True, text=True, check=True,
                          env={**os.environ, **env}, timeout=300)
    return json.loads(proc.stdout)


@pytest.mark.skipif(not all(f.is_file() for f in FILES), reason="the shared eval sets are absent")
def test_compiled_and_pure_python_decide_the_same() -> None:
    lines = "".join(f.read_text(encoding="utf-8") for f in FILES)
    pure = _dump(lines, MONITOR_PURE_PYTHON="1")
    assert not pure["compiled"] and pure["file"].endswith("engine.py")
    default = _dump(lines, MONITOR_PURE_PYTHON="")
    assert default["compiled"] is _native.compiled()
    assert len(pure["out"]) == 2 * len(lines.splitlines())
    assert default["out"] == pure["out"]


def test_this_process_runs_the_form_it_reports() -> None:
    assert _native.compiled() is (not (engine.__file__ or "").endswith(".py"))


def test_compiled_modules_are_used_only_with_their_sources(tmp_path: Path) -> None:
    for m in _native.HOT:
        (tmp_path / f"{m}.py").write_text(f"X = {m!r}\n", encoding="utf-8")
    assert not _native.built(tmp_path)                       # nothing compiled
    (tmp_path / f"engine{EXTENSION_SUFFIXES[0]}").write_bytes(b"")
    assert not _native.built(tmp_path)                       # compiled, but no stamp
    (tmp_path / _native.STAMP).write_text(_native.source_hashes(tmp_path), encoding="utf-8")
    assert _native.built(tmp_path)
    (tmp_path / "money.py").write_text("X = 'edited'\n", encoding="utf-8")
    assert not _native.built(tmp_path)                       # a source edited since the build
