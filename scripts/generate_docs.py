"""Write the generated documentation pages (`docs/reason-codes.md`, `docs/rules.md`) from the code.

Run from the repository root: `make docs`. A unit test fails when a committed page differs.
"""

from __future__ import annotations

from pathlib import Path

from screening.rule_docs import PAGES

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Render every page and write the ones that changed."""
    for name, render in PAGES.items():
        target = ROOT / name
        text = render()
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {name}")


if __name__ == "__main__":
    main()
