"""``python -m monitor.match --jsonl [FILE]``: the matcher alone, same contract as ``monitor match --jsonl``."""

from __future__ import annotations

import argparse
import sys

from monitor.match.cli import cli_match_jsonl


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m monitor.match", description=__doc__)
    ap.add_argument("--jsonl", action="store_true", required=True, help="read and write JSON lines")
    ap.add_argument("file", nargs="?", help="input file (default: stdin)")
    args = ap.parse_args(argv)
    if args.file and args.file != "-":
        try:
            with open(args.file, encoding="utf-8") as f:
                return cli_match_jsonl(f, sys.stdout)
        except OSError as e:
            print(f"error: cannot read {args.file}: {e.strerror}", file=sys.stderr)
            return 1
    return cli_match_jsonl(sys.stdin, sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
