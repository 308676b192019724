"""Compiled or pure Python: which form of the clustering's hot modules (text, money, decide,
cluster) this process runs. See :mod:`monitor._native`; :func:`select` runs first thing in
``monitor/stories/__init__.py``."""

from __future__ import annotations

from monitor._native import Native

__all__ = ["compiled", "select"]

_native = Native("monitor.stories")
select = _native.select
compiled = _native.compiled
