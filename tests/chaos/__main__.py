"""`python -m tests.chaos [--short] [--database auto|postgres|sqlite]`: exit 0 only when nothing was lost."""

from __future__ import annotations

import argparse
import signal
import sys

from .run import FULL, SHORT, main


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt  # unwinds through the harness' cleanup


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--short", action="store_true", help="The CI variant: 20 users, 1,000 operations.")
    parser.add_argument("--database", choices=["auto", "postgres", "sqlite"], default="auto")
    parser.add_argument("--seed", type=int, default=7, help="Seeds the users' choices and the emulator's faults.")
    parser.add_argument("--keep-logs", action="store_true", help="Keep the processes' logs even when the run passes.")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    sys.exit(main(SHORT if args.short else FULL, database=args.database, seed=args.seed, keep_logs=args.keep_logs))
