"""Build hook: compile the hot modules of the matcher and of story clustering with mypyc, when
possible (pyproject.toml holds the rest).

The compiled modules are optional. Without mypyc or a working C compiler, or with
``MONITOR_PURE_PYTHON=1`` in the environment, the project installs as pure Python and makes the
same decisions, about half as fast. The build records the SHA-256 of the sources it compiled next
to the modules of each package; ``monitor/_native.py`` loads the compiled form only while the
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
sys.path.insert(0, str(ROOT))
from monitor._native import PACKAGES, STAMP, source_hashes  # noqa: E402  (standard library only)

BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def _folder(base: Path, package: str) -> Path:
    return base.joinpath(*package.split("."))


class OptionalBuildExt(build_ext):
    """Build the compiled modules if the machine can, and stamp them; never fail the install over them."""

    def run(self) -> None:
        if not self.extensions:
            return
        stamps = {package: source_hashes(_folder(ROOT, package), hot) for package, hot in PACKAGES.items()}
        try:
            super().run()
        except Exception as e:  # noqa: BLE001  no compiler, no headers, ...: the pure form serves
            print(f"monitor: the compiled modules were not built ({e}); they run as plain Python", file=sys.stderr)
            return
        for package, stamp in stamps.items():
            folders = {_folder(Path(self.build_lib), package)}
            if self.inplace:
                folders.add(_folder(ROOT, package))
            for folder in folders:
                if folder.is_dir():
                    (folder / STAMP).write_text(stamp, encoding="utf-8")


def _extensions() -> list[Any]:
    if os.environ.get("MONITOR_PURE_PYTHON", "") not in ("", "0") or not BUILDS.intersection(sys.argv[1:]):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("monitor: mypyc is not installed; the hot modules run as plain Python", file=sys.stderr)
        return []
    extensions: list[Any] = []
    for package, hot in PACKAGES.items():   # one group (shared library) per package
        folder = package.replace(".", "/")
        try:  # mypyc type-checks the modules first; the project's own mypy settings need its plugins, not wanted here
            extensions += mypycify(
                ["--config-file", os.devnull, "--ignore-missing-imports", "--python-version", "3.11",
                 *(f"{folder}/{m}.py" for m in hot)],
                opt_level="3", group_name=f"{package}._compiled")
        except BaseException as e:  # noqa: BLE001  (mypy exits through SystemExit on a type error)
            print(f"monitor: mypyc failed on {package} ({e!r}); it runs as plain Python", file=sys.stderr)
    for ext in extensions:
        ext.optional = True
    return extensions


# setuptools' notice that an editable install of a package with extensions uses a path finder: nothing to act on
warnings.filterwarnings("ignore", message="Editable installation")
setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
