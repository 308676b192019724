"""``python -m monitor.stories --jsonl [FILE]``: the same as ``monitor cluster --jsonl``."""

from __future__ import annotations

import argparse
import sys

from monitor.errors import MonitorError
from monitor.stories.cli import cli_cluster_jsonl


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m monitor.stories", description="Cluster JSON-lines items into stories.")
    ap.add_argument("--jsonl", action="store_true", required=True, help="read JSON lines, write JSON lines")
    ap.add_argument("file", nargs="?", help="input file (default: standard input)")
    args = ap.parse_args(argv)
    try:
        if args.file and args.file != "-":
            with open(args.file, encoding="utf-8") as fh:
                return cli_cluster_jsonl(fh, sys.stdout)
        return cli_cluster_jsonl(sys.stdin, sys.stdout)
    except (OSError, MonitorError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
