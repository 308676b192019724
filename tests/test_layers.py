"""The pure core must not pull in network, database or scheduler machinery."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["monitor.match", "monitor.stories", "monitor.parse", "monitor.normalize",
                                    "monitor.language", "monitor.dedupe", "monitor.digest", "monitor.due"])
def test_core_imports_no_edges(module):
    code = (f"import sys, {module}; bad = [m for m in ('httpx', 'sqlalchemy', 'alembic', 'psycopg', "
            f"'apscheduler.schedulers') if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"{module} imports {out}"
