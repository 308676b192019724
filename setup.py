"""Build hook: compile the matcher's hot modules with mypyc, when possible (pyproject.toml holds the rest).

The compiled modules are optional. Without mypyc or a working C compiler, or with
``MONITOR_PURE_PYTHON=1`` in the environment, the project installs as pure Python and the matcher
makes the same decisions, about half as fast. The build records the SHA-256 of the sources it
compiled next to the modules; ``monitor/match/_native.py`` loads the compiled form only while the
sources still match (an editable install keeps working after an edit, as plain Python until the
next install).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
HOT = ("text", "money", "termset", "_values", "engine")   # = monitor.match._native.HOT
STAMP = "_native_sources.txt"                              # = monitor.match._native.STAMP
BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def _stamp() -> str:
    import hashlib

    folder = ROOT / "monitor" / "match"
    return "".join(f"{hashlib.sha256((folder / f'{m}.py').read_bytes()).hexdigest()}  {m}.py\n" for m in HOT)


class OptionalBuildExt(build_ext):
    """Build the compiled modules if the machine can, and stamp them; never fail the install over them."""

    def run(self) -> None:
        if not self.extensions:
            return
        stamp = _stamp()
        try:
            super().run()
        except Exception as e:  # noqa: BLE001  no compiler, no headers, ...: the pure form serves
            print(f"monitor: the compiled matcher was not built ({e}); it runs as plain Python", file=sys.stderr)
            return
        folders = {Path(self.build_lib) / "monitor" / "match"}
        if self.inplace:
            folders.add(ROOT / "monitor" / "match")
        for folder in folders:
            if folder.is_dir():
                (folder / STAMP).write_text(stamp, encoding="utf-8")


def _extensions() -> list[Any]:
    if os.environ.get("MONITOR_PURE_PYTHON", "") not in ("", "0") or not BUILDS.intersection(sys.argv[1:]):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("monitor: mypyc is not installed; the matcher runs as plain Python", file=sys.stderr)
        return []
    try:  # mypyc type-checks the modules first; the project's own mypy settings need its plugins, not wanted here
        extensions: list[Any] = mypycify(
            ["--config-file", os.devnull, "--ignore-missing-imports", "--python-version", "3.11",
             *(f"monitor/match/{m}.py" for m in HOT)],
            opt_level="3", group_name="monitor.match._compiled")
    except BaseException as e:  # noqa: BLE001  (mypy exits through SystemExit on a type error)
        print(f"monitor: mypyc failed ({e!r}); the matcher runs as plain Python", file=sys.stderr)
        return []
    for ext in extensions:
        ext.optional = True
    return extensions


# setuptools' notice that an editable install of a package with extensions uses a path finder: nothing to act on
warnings.filterwarnings("ignore", message="Editable installation")
setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
