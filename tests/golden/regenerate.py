"""Rewrite every golden `expected.json` from the current code, to review the diff (`git diff tests/golden`).

Run from the repository root: `.venv/bin/python -m tests.golden.regenerate [SCENARIO-NAME...]`.
The tests never call this: a changed decision fails until someone regenerates and reviews it, and the
outcome table in `test_scenarios.py` still has to agree with regulation.md §9.
"""

from __future__ import annotations

import sys

from tests.golden.harness import decide, render, scenario_dirs


def main(names: list[str]) -> int:
    """Regenerate the named scenarios, or all of them."""
    for folder in scenario_dirs():
        if names and folder.name not in names:
            continue
        decision = decide(folder)
        target = folder / "expected.json"
        old = target.read_text(encoding="utf-8") if target.is_file() else None
        new = render(decision)
        if old != new:
            target.write_text(new, encoding="utf-8")
            print(f"updated {folder.name}: {decision['outcome']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
