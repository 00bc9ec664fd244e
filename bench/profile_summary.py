"""Summarize a py-spy raw profile: where each thread's time went, inclusive, by function.

python -m bench.profile_summary bench/profiles/sync.txt [--thread MainThread] [--top 40]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::(?P<line>\d+))?\)$")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--thread", default="")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only frames whose file contains this")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    for line in args.path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if args.thread and args.thread not in frames[0]:
            continue
        n = int(count)
        total += n
        seen = set()
        for frame in frames[1:]:
            match = FRAME.match(frame)
            name = f"{match['func']} ({match['file'].rsplit('/', 2)[-1]})" if match else frame
            if args.match and match and args.match not in match["file"]:
                continue
            if name not in seen:
                inclusive[name] += n
                seen.add(name)
        leaf[frames[-1]] += n
    print(f"{total} samples")
    for name, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:5.1f}%  {name}")
    print("-- leaves --")
    for name, n in leaf.most_common(15):
        print(f"{100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
