"""Compiled or pure Python: which form of a package's hot modules this process runs.

Installing the project compiles the hot modules of :data:`PACKAGES` with mypyc when mypyc and a C
compiler are at hand (``setup.py``); the extension modules land next to their sources, where
Python prefers them to the ``.py`` files. They are used only when they were built from the sources
beside them: the build writes each source's SHA-256 to :data:`STAMP` in the package's folder, and
when a source no longer matches (it was edited since the install), the stamp is missing, a
compiled module fails to import, or ``MONITOR_PURE_PYTHON=1`` is set, every hot module of the
package loads from its ``.py`` file instead. Both forms make the same decisions
(``tests/test_match_native.py``, ``tests/test_stories.py``).

Pure: reads only files of this package. Each package's ``_native.select()`` runs first thing in its
``__init__.py``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["PACKAGES", "STAMP", "Native"]

# package -> its hot modules, in dependency order (setup.py compiles these, one group per package)
PACKAGES: dict[str, tuple[str, ...]] = {
    "monitor.match": ("text", "money", "termset", "_values", "engine"),
    "monitor.stories": ("text", "money", "decide", "cluster"),
}
STAMP = "_native_sources.txt"


def source_hashes(folder: Path, hot: Sequence[str]) -> str:
    """The stamp's text for the sources in ``folder``: one "<sha256>  <name>.py" line per hot module."""
    return "".join(f"{hashlib.sha256((folder / f'{m}.py').read_bytes()).hexdigest()}  {m}.py\n" for m in hot)


class _Sources(importlib.abc.MetaPathFinder):
    """Loads a package's hot modules from their ``.py`` files, whatever else lies next to them."""

    def __init__(self, package: str, hot: Sequence[str], folder: Path) -> None:
        self.package, self.hot, self.folder = package, frozenset(hot), folder

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != self.package or name not in self.hot:
            return None
        return importlib.util.spec_from_file_location(fullname, self.folder / f"{name}.py")


class Native:
    """The compiled-or-pure choice for one package of :data:`PACKAGES`."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.hot = PACKAGES[package]
        self.folder = Path(sys.modules[package].__file__ or "").resolve().parent
        self._compiled = False

    def built(self, folder: Path | None = None) -> bool:
        """Are there compiled hot modules in ``folder``, built from the sources beside them?"""
        folder = folder or self.folder
        if not any((folder / f"{m}{suffix}").exists()
                   for m in self.hot for suffix in importlib.machinery.EXTENSION_SUFFIXES):
            return False
        try:
            return (folder / STAMP).read_text(encoding="utf-8") == source_hashes(folder, self.hot)
        except OSError:
            return False

    def select(self) -> bool:
        """Make the hot modules load compiled when that is safe, else from source; True when compiled."""
        if os.environ.get("MONITOR_PURE_PYTHON", "") not in ("", "0") or not self.built():
            self._use_sources()
            return False
        try:
            for m in self.hot:
                module = importlib.import_module(f"{self.package}.{m}")
                if not module.__file__ or module.__file__.endswith(".py"):
                    raise ImportError(f"{m} is not compiled")
        except ImportError:
            self._use_sources()
            return False
        self._compiled = True
        return True

    def compiled(self) -> bool:
        """Does this process run the compiled hot modules?"""
        return self._compiled

    def _use_sources(self) -> None:
        own = f"{self.package}._native"
        for name in [n for n in sys.modules if n.startswith(self.package + ".") and n != own]:
            del sys.modules[name]  # (only under select(): nothing else holds them yet)
        if not any(isinstance(f, _Sources) and f.package == self.package for f in sys.meta_path):
            sys.meta_path.insert(0, _Sources(self.package, self.hot, self.folder))
        self._compiled = False
