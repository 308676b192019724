"""The composition root's process-level settings."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

GLIBC = sys.platform.startswith("linux") and "libc.so.6" in (ctypes.util.find_library("c") or "")


@pytest.mark.skipif(not GLIBC, reason="the allocator tuning is glibc's mallopt")
def test_allocator_is_tuned_unless_the_environment_says_otherwise():
    code = "from monitor.app import tune_allocator; print(tune_allocator())"
    run = lambda env: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: E731
                                     env=env, check=True).stdout.strip()
    assert run({"PATH": "/usr/bin:/bin"}) == "True"
    assert run({"PATH": "/usr/bin:/bin", "MALLOC_ARENA_MAX": "4"}) == "False"
    assert run({"PATH": "/usr/bin:/bin", "MALLOC_MMAP_THRESHOLD_": "131072"}) == "False"


def test_the_daemon_does_not_load_command_line_clients_it_never_runs():
    # httpx loads its CLI (click, pygments) at import when click is installed; apprise installs click
    code = ("import sys, monitor.app, monitor.cli, httpx; "
            "print(sorted(m for m in ('click', 'pygments', 'rich') if m in sys.modules)); print(callable(httpx.main))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "True"]
