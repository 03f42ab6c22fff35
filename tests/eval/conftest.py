"""The name-quality figures of each part of the evaluation set, printed at the end of the test run."""

from __future__ import annotations

import pytest

# Lines the quality gate leaves for the run's summary (see `test_name_quality.report`).
SUMMARY = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Recall and alert rate of the tuning part, the held-out part and the whole set, when measured."""
    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.section("name screening quality (evaluation set)")
        for line in lines:
            terminalreporter.write_line(line)
