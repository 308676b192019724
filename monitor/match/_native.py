"""Compiled or pure Python: which form of the matcher's hot modules this process runs.

Installing the project compiles :data:`HOT` with mypyc when mypyc and a C compiler are at hand
(``setup.py``); the extension modules land next to their sources, where Python prefers them to the
``.py`` files. They are used only when they were built from the sources beside them: the build
writes each source's SHA-256 to :data:`STAMP`, and when a source no longer matches (it was edited
since the install), the stamp is missing, a compiled module fails to import, or
``MONITOR_PURE_PYTHON=1`` is set, every hot module loads from its ``.py`` file instead. Both forms
make the same decisions (``tests/test_match_native.py``); the compiled one is about twice as fast.

Pure: reads only files of this package. :func:`select` runs first thing in ``monitor/match/__init__.py``.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["HOT", "STAMP", "built", "compiled", "select", "source_hashes"]

HOT = ("text", "money", "termset", "_values", "engine")   # in dependency order; setup.py compiles these
STAMP = "_native_sources.txt"
_PACKAGE = "monitor.match"
_HERE = Path(__file__).resolve().parent
_state = {"compiled": False}


def source_hashes(folder: Path) -> str:
    """The stamp's text for the sources in ``folder``: one "<sha256>  <name>.py" line per hot module."""
    return "".join(f"{hashlib.sha256((folder / f'{m}.py').read_bytes()).hexdigest()}  {m}.py\n" for m in HOT)


class _Sources(importlib.abc.MetaPathFinder):
    """Loads the hot modules from their ``.py`` files, whatever else lies next to them."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != _PACKAGE or name not in HOT:
            return None
        return importlib.util.spec_from_file_location(fullname, _HERE / f"{name}.py")


def built(folder: Path = _HERE) -> bool:
    """Are there compiled hot modules in ``folder``, built from the sources beside them?"""
    if not any((folder / f"{m}{suffix}").exists() for m in HOT for suffix in importlib.machinery.EXTENSION_SUFFIXES):
        return False
    try:
        return (folder / STAMP).read_text(encoding="utf-8") == source_hashes(folder)
    except OSError:
        return False


def _use_sources() -> None:
    for name in [n for n in sys.modules if n.startswith(_PACKAGE + ".") and n != __name__]:
        del sys.modules[name]  # (only under select(): nothing else holds them yet)
    if not any(isinstance(f, _Sources) for f in sys.meta_path):
        sys.meta_path.insert(0, _Sources())
    _state["compiled"] = False


def select() -> bool:
    """Make the hot modules load compiled when that is safe, else from source; True when compiled."""
    if os.environ.get("MONITOR_PURE_PYTHON", "") not in ("", "0") or not built():
        _use_sources()
        return False
    try:
        for m in HOT:
            module = importlib.import_module(f"{_PACKAGE}.{m}")
            if not module.__file__ or module.__file__.endswith(".py"):
                raise ImportError(f"{m} is not compiled")
    except ImportError:
        _use_sources()
        return False
    _state["compiled"] = True
    return True


def compiled() -> bool:
    """Does this process run the compiled hot modules?"""
    return _state["compiled"]
