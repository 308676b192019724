"""monitor: a news-monitoring daemon for OpenAI funding and revenue news."""

import logging
import sys

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# httpx imports its command-line client at import time whenever click is installed (apprise brings
# it), and then fails over to a stub when pygments or rich is missing: ≈ 2.2 MiB of a process that
# never runs `httpx` from a shell. Taking the module's slot first makes httpx use the stub at once
# (a None entry in sys.modules is Python's "this module cannot be imported").
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
