"""Compiled or pure Python: which form of the matcher's hot modules this process runs.

See :mod:`monitor._native` (shared with ``monitor.stories``): the compiled modules are used only
when they were built from the sources beside them, and ``MONITOR_PURE_PYTHON=1`` turns them off.
Both forms make the same decisions (``tests/test_match_native.py``); the compiled one is about
twice as fast. :func:`select` runs first thing in ``monitor/match/__init__.py``.
"""

from __future__ import annotations

from pathlib import Path

from monitor._native import PACKAGES, STAMP, Native
from monitor._native import source_hashes as _hashes

__all__ = ["HOT", "STAMP", "built", "compiled", "select", "source_hashes"]

HOT = PACKAGES["monitor.match"]
_native = Native("monitor.match")


def source_hashes(folder: Path) -> str:
    """The stamp's text for the sources in ``folder``: one "<sha256>  <name>.py" line per hot module."""
    return _hashes(folder, HOT)


def built(folder: Path | None = None) -> bool:
    """Are there compiled hot modules in ``folder``, built from the sources beside them?"""
    return _native.built(folder)


def select() -> bool:
    """Make the hot modules load compiled when that is safe, else from source; True when compiled."""
    return _native.select()


def compiled() -> bool:
    """Does this process run the compiled hot modules?"""
    return _native.compiled()
