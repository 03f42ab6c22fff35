"""The domain core stays pure: standard library and the named matching libraries only, no clock, no
environment, no I/O. Checked on the source (AST), so a violation fails even in code no test runs."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "services" / "screening" / "domain"

# The matching libraries the domain may use: fuzzy string scores, Chinese transliteration, and ICU's Unicode
# data and TR39 confusable skeletons for disguised names.
MATCHING_LIBRARIES = frozenset({"rapidfuzz", "pypinyin", "icu"})
# Standard-library modules that reach the clock, the environment, files, the network, other processes or
# chance: none belongs in a pure core.
IMPURE_STDLIB = frozenset(
    {
        "os", "time", "random", "secrets", "uuid", "subprocess", "socket", "asyncio", "threading",
        "multiprocessing", "concurrent", "pathlib", "shutil", "tempfile", "glob", "urllib", "http",
        "logging", "signal", "select", "selectors", "sqlite3", "ssl",
    }
)  # fmt: skip
CLOCK_CALLS = frozenset({"now", "utcnow", "today"})
CLOCK_OWNERS = frozenset({"datetime", "date"})
IMPURE_BUILTINS = frozenset({"open", "input", "print", "breakpoint", "exec", "eval", "__import__"})


def violations(source: str, name: str) -> list[str]:
    """What makes `source` impure: foreign or impure imports, clock reads, environment reads, I/O."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            if isinstance(node, ast.ImportFrom) and node.level:
                continue  # relative import: inside the package
            modules = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            )
            for module in modules:
                top = module.partition(".")[0]
                if top == "screening":
                    if not module.startswith("screening.domain"):
                        found.append(f"{name}:{node.lineno} imports {module} (outside the domain)")
                elif top in IMPURE_STDLIB:
                    found.append(f"{name}:{node.lineno} imports {module} (clock, environment, I/O or chance)")
                elif (
                    top not in sys.stdlib_module_names
                    and top not in MATCHING_LIBRARIES
                    and top != "__future__"
                ):
                    found.append(f"{name}:{node.lineno} imports {module} (not standard library)")
        elif isinstance(node, ast.Attribute) and node.attr in CLOCK_CALLS:
            owner = node.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if owner_name in CLOCK_OWNERS:
                found.append(f"{name}:{node.lineno} reads the clock ({owner_name}.{node.attr})")
        elif isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            found.append(f"{name}:{node.lineno} reads the environment ({node.attr})")
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in IMPURE_BUILTINS
        ):
            found.append(f"{name}:{node.lineno} calls {node.func.id}()")
    return found


def _domain_files() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_the_domain_has_modules_to_check() -> None:
    assert len(_domain_files()) >= 20


@pytest.mark.parametrize("path", _domain_files(), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module_is_pure(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8"), path.name) == []


@pytest.mark.parametrize(
    "source",
    [
        "import redis",
        "from pydantic import BaseModel",
        "from screening.config import Settings",
        "import os",
        "from os import environ",
        "import time",
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.utcnow()",
        "from datetime import date\nx = date.today()",
        "import random",
        "x = open('f')",
        "import sys\nx = sys.modules['os'].environ",
    ],
)
def test_the_check_catches_impurity(source: str) -> None:
    assert violations(source, "sample.py")


def test_the_check_accepts_pure_code() -> None:
    source = (
        "from datetime import date, datetime\nimport re\nfrom rapidfuzz import fuzz\nx = date(2026, 1, 1)\n"
    )
    assert violations(source, "sample.py") == []
