"""Summarise a py-spy raw profile (`screening bench --profile FILE`): the functions with the most samples
on the stack (cumulative) and at the top of it (own time), as shares of all samples.

    python scripts/profile_summary.py FILE [--top 25]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _name(frame: str) -> str:
    """`function (path/to/module.py:123)` → `module.py:function` (line numbers dropped, so one function
    counts once)."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "services/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{match['function']}"


def summarise(lines: list[str], top: int) -> str:
    """The two tables as Markdown."""
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_name(f) for f in stack.split(";") if f]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            cumulative[name] += count
    out = [f"{total} samples", "", "| cumulative % | own % | function |", "| ---: | ---: | --- |"]
    for name, count in cumulative.most_common(top):
        out.append(f"| {100 * count / total:.1f} | {100 * own[name] / total:.1f} | `{name}` |")
    out += ["", "| own % | function |", "| ---: | --- |"]
    for name, count in own.most_common(top):
        out.append(f"| {100 * count / total:.1f} | `{name}` |")
    return "\n".join(out)


def main() -> None:
    """Print the summary of one profile."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    with open(args.profile) as handle:
        print(summarise(handle.readlines(), args.top))


if __name__ == "__main__":
    main()
