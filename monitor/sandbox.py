"""Limits for the parse pool's worker processes. Standard library only, so that a worker
imports nothing it does not need.

A parse worker caps its own address space (``RLIMIT_AS``) at its start-up size plus a fixed
budget: whatever a hostile body makes the parser do, the worker gets a ``MemoryError`` (caught
and reported as that feed's ``parse_error``) long before the host runs out of memory. The
fetcher's cap on decoded bytes (``polling.max_body_mb``, 10 MB by default) bounds what a worker
is handed; this bounds what it may build from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

PARSE_MEMORY_BUDGET = 512 * 1024 * 1024   # bytes of address space a worker may add to its start-up size


def vm_size() -> int | None:
    """This process's virtual memory size in bytes (Linux), else None."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def limit_address_space(budget: int = PARSE_MEMORY_BUDGET) -> int | None:
    """Set ``RLIMIT_AS`` to the current size plus ``budget``; returns the limit set, or None
    where it cannot be set (not Linux, or a lower hard limit already applies)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    base = vm_size()
    if base is None:
        return None
    limit = base + budget
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft != resource.RLIM_INFINITY and soft < limit:
            return None
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError):
        return None
    return limit


def init_parse_worker(raw_topics: Sequence[Mapping[str, Any]], budget: int) -> None:
    """Pool initializer for parse *processes*: cap memory, then compile the topics."""
    from monitor.worker import init_worker

    init_worker(raw_topics)   # topics first: their compiled form is part of the start-up size
    limit_address_space(budget)
