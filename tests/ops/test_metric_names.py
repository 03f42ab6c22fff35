"""Every metric the Grafana dashboard and the alert rules query is one the service exports, labels too."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from screening.adapters.redis_store import RoundTrips
from screening.domain.model import Outcome
from screening.metrics import HoldsState, PrometheusMetrics, ServiceState

OPS = Path(__file__).resolve().parents[2] / "ops"
DASHBOARD = OPS / "grafana" / "dashboards" / "screening.json"
RULES = OPS / "prometheus" / "alerts.yml"

PROMETHEUS_OWN = {"up"}
"""Series Prometheus itself writes for every target."""
TARGET_LABELS = {"job", "instance"}
"""Labels Prometheus attaches to every scraped series."""
PROMQL_WORDS = {
    "sum",
    "min",
    "max",
    "avg",
    "count",
    "topk",
    "bottomk",
    "quantile",
    "stddev",
    "group",
    "rate",
    "irate",
    "increase",
    "delta",
    "idelta",
    "deriv",
    "predict_linear",
    "resets",
    "changes",
    "histogram_quantile",
    "vector",
    "scalar",
    "time",
    "absent",
    "absent_over_time",
    "clamp_min",
    "clamp_max",
    "max_over_time",
    "min_over_time",
    "avg_over_time",
    "sum_over_time",
    "count_over_time",
    "last_over_time",
    "label_replace",
    "label_join",
    "label_values",
    "abs",
    "round",
    "ceil",
    "floor",
    "sort",
    "sort_desc",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    found = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    found += [v["definition"] for v in dashboard["templating"]["list"] if v.get("type") == "query"]
    return found


def rule_expressions() -> list[str]:
    """The `expr` of every rule: one line, or the indented block under `expr: |`."""
    found: list[str] = []
    lines = RULES.read_text().splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"(\s*)expr:\s*(.*)$", line)
        if not match:
            continue
        indent, rest = len(match.group(1)), match.group(2).strip()
        if rest not in ("|", ">", "|-", ">-"):
            found.append(rest)
            continue
        block = []
        for following in lines[i + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            block.append(following.strip())
        found.append(" ".join(block))
    return found


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (Grafana variables and macros allowed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\$\w+", "", expr)
    expr = re.sub(r"label_values\(([^,)]+),[^)]*\)", r"(\1)", expr)
    return {t for t in re.findall(r"(?<![\w.$])[a-zA-Z_:][\w:]*", expr) if t not in PROMQL_WORDS}


def matcher_labels(expr: str) -> list[tuple[str, set[str]]]:
    """(metric, label names of its matchers) for every `metric{...}` in `expr`."""
    found = []
    for name, body in re.findall(r"([a-zA-Z_:][\w:]*)\{([^}]*)\}", expr):
        found.append((name, set(re.findall(r"(\w+)\s*[=!]~?", body))))
    return found


@pytest.fixture(scope="module")
def exported() -> dict[str, set[str]]:
    """Sample name → label names, as a scrape of a service that has handled one batch shows them."""
    metrics = PrometheusMetrics()
    metrics.event_consumed("screening.orders.v1", "order")
    decision = SimpleNamespace(
        event_id="e1",
        subject_kind="order",
        outcome=Outcome.DENY,
        trigger="event",
        reasons=(SimpleNamespace(code="DEST_ADV_COMPUTE", outcome=Outcome.DENY),),
    )
    event = SimpleNamespace(event_id="e1", occurred_at=datetime.now(UTC))
    metrics.batch_done([object()], [decision], time.perf_counter(), [event])  # type: ignore[list-item]
    metrics.dead_lettered("schema")
    metrics.ownership_applied(1, 1)
    metrics.reviewed("release", "released", 600.0)
    stats = RoundTrips()
    stats.count("snapshot")
    metrics.watch(
        lambda: ServiceState(
            versions={"version": "0", "ruleset": "r", "lists": "l"},
            lists_loaded=True,
            lists_entries=1,
            lists_age_s=1.0,
            ownership_age_s=1.0,
            redis={"ownership": stats, "ledger": RoundTrips()},
            cache=stats,
            consumer_lag={("screening.orders.v1", 0): 0},
            consumer_stuck_s={("screening.orders.v1", 0): 0.0},
            lists_max_age_s=72 * 3600.0,
            holds=HoldsState(
                2, 7200.0, {"1h": 2, "4h": 0}, {"POSSIBLE_LIST_MATCH": 1, "DEST_ADV_COMPUTE": 1}
            ),
            licences={"A654321": (500, 480), "D1": (10, 10), "D2": (100, 5)},
            review_sla_s=86400.0,
        )
    )
    names: dict[str, set[str]] = {name: set() for name in PROMETHEUS_OWN}
    for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


@pytest.mark.parametrize("source", ["dashboard", "alerts"], ids=["grafana dashboard", "alert rules"])
def test_every_queried_metric_is_exported(source: str, exported: dict[str, set[str]]) -> None:
    expressions = dashboard_expressions() if source == "dashboard" else rule_expressions()
    assert len(expressions) >= 7
    queried = set().union(*(metric_names(e) for e in expressions))
    assert any(name.startswith("screening_") for name in queried)
    assert sorted(queried - set(exported)) == []


@pytest.mark.parametrize("source", ["dashboard", "alerts"], ids=["grafana dashboard", "alert rules"])
def test_every_matched_label_is_one_the_metric_has(source: str, exported: dict[str, set[str]]) -> None:
    expressions = dashboard_expressions() if source == "dashboard" else rule_expressions()
    for expr in expressions:
        for name, labels in matcher_labels(expr):
            assert labels - TARGET_LABELS <= exported[name], (expr, name, labels)


def test_the_dashboard_covers_what_operations_asked_for() -> None:
    queried = set().union(*(metric_names(e) for e in dashboard_expressions()))
    for needed in (
        "screening_decisions_total",
        "screening_reasons_total",
        "screening_processing_latency_seconds_bucket",
        "screening_end_to_end_latency_seconds_bucket",
        "screening_consumer_lag",
        "screening_dlq_messages_total",
        "screening_lists_age_seconds",
        "screening_ownership_data_age_seconds",
        "screening_open_holds_older_than",
        "screening_open_holds_by_reason",
        "screening_review_wait_seconds_bucket",
        "screening_reviews_total",
        "screening_licence_remaining_ratio",
        "screening_failed_batches_total",
        "screening_retries_total",
        "screening_consumer_stuck_seconds",
        "screening_rescreens_total",
        "screening_rescreen_changed_total",
    ):
        assert needed in queried, needed


def test_review_queue_and_licence_balances_are_exported_with_bounded_labels(
    exported: dict[str, set[str]],
) -> None:
    assert exported["screening_open_holds_older_than"] == {"age"}
    assert exported["screening_open_holds_by_reason"] == {"code"}
    assert exported["screening_licences"] == {"state"}
    assert exported["screening_licence_remaining_ratio"] == {"licence"}


def test_the_name_extraction_finds_names_and_ignores_functions_and_labels() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (le) "
        '(rate(a_seconds_bucket{instance=~"$instance"}[$__rate_interval])))'
        " / on() group_left b_total or vector(0) > 3 * 3600"
    )
    assert metric_names(expr) == {"a_seconds_bucket", "b_total"}
