"""Hand-built rule contexts: a few parties, items and hand-made list hits, without the 26k-entry list.

A rule reads one `RuleContext`. These builders make the pieces from plain values (the shipped ruleset and
catalogue, both small, give the dates, country groups and chip parameters) so that a rule can be tested on
exactly the facts a test names:

    buyer = party("Example Buyer Co.", country="SG", hq="CN")
    ctx = context(order(buyer, [item("H100 SXM")], ship_to="SG"))
    reasons = HeadquartersRule(RULESET.params(HeadquartersParams)).evaluate(ctx)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from screening.domain.catalogue import Catalogue
from screening.domain.classification import ItemResult, classify_item
from screening.domain.lists import ListEntry, ListHit
from screening.domain.model import Event, Item, Lease, Licence, Order, Party, Reason
from screening.domain.ownership import OwnerLink, OwnershipRecord, analyse
from screening.domain.profiles import OwnershipStatus, PartyProfile
from screening.domain.rules.base import Rule, RuleContext
from screening.domain.rules.ownership import AffiliatesParams, OfacParams
from screening.domain.rules.registry import build_context, decision_date
from screening.domain.ruleset import Ruleset
from screening.resources import load_catalogue, load_ruleset

DAY = "2026-08-01"


@cache
def shipped_ruleset() -> Ruleset:
    """The shipped ruleset (a small TOML file)."""
    return load_ruleset()


@cache
def shipped_catalogue() -> Catalogue:
    """The shipped product catalogue (a small CSV file)."""
    return load_catalogue()


def party(
    name: str,
    role: str = "buyer",
    country: str | None = None,
    hq: str | None = None,
    party_id: str | None = None,
    detail: str | None = None,
    aliases: Sequence[str] = (),
) -> Party:
    """A party of an event."""
    return Party(
        name=name,
        role=role,
        aliases=tuple(aliases),
        country=country,
        party_id=party_id,
        hq_country=hq,
        party_role_detail=detail,
    )


def item(product: str, line_id: str = "1", quantity: int = 8, **fields: Any) -> Item:
    """An order line or leased resource (`eccn`, `tpp`, `die_area_mm2`, `datacenter`... as keywords)."""
    return Item(line_id=line_id, product=product, quantity=quantity, **fields)


def licence(number: str, kind: str, eccn: str | None, destination: str | None, **dates: date) -> Licence:
    """A licence or licence exception on file."""
    return Licence(number=number, type=kind, eccn=eccn, destination=destination, **dates)


def _moment(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T09:00:00+00:00").astimezone(UTC)


def order(
    buyer: Party,
    items: Sequence[Item],
    ship_to: str | None,
    *,
    day: str = DAY,
    end_user: Party | None = None,
    intermediaries: Sequence[Party] = (),
    ship_from: str | None = "US",
    end_use: str | None = None,
    licences: Sequence[Licence] = (),
    action: str = "create",
    received: datetime | None = None,
    event_id: str = "evt-1",
) -> Order:
    """An order event."""
    return Order(
        event_id=event_id,
        occurred_at=_moment(day),
        order_id="SO-1",
        action=action,
        seller=party("Example Distribution Inc.", role="seller", country="US"),
        buyer=buyer,
        end_user=end_user,
        intermediaries=tuple(intermediaries),
        ship_from_country=ship_from,
        ship_to_country=ship_to,
        items=tuple(items),
        end_use=end_use,
        licences=tuple(licences),
        received_at=received,
    )


def lease(
    lessee: Party,
    resources: Sequence[Item],
    hardware: str | None,
    access: str | None,
    *,
    day: str = DAY,
    end_user: Party | None = None,
    purpose: str | None = None,
    action: str = "start",
    title_transfer: bool = False,
    licences: Sequence[Licence] = (),
    received: datetime | None = None,
    event_id: str = "evt-1",
) -> Lease:
    """A lease event."""
    return Lease(
        event_id=event_id,
        occurred_at=_moment(day),
        lease_id="L-1",
        action=action,
        lessor=party("Example GPU Cloud LLC", role="lessor", country="US"),
        lessee=lessee,
        end_user=end_user,
        resources=tuple(resources),
        hardware_country=hardware,
        access=access,
        start=date.fromisoformat(day),
        purpose=purpose,
        licences=tuple(licences),
        title_transfer=title_transfer,
        received_at=received,
    )


def entry(name: str, source: str = "EL", entry_id: str | None = None, **fields: Any) -> ListEntry:
    """A hand-made list entry."""
    return ListEntry(entry_id=entry_id or f"{source}-{name}", source=source, name=name, **fields)


def hit(listed: ListEntry, query: str, score: float = 0.97, strong: bool = True) -> ListHit:
    """A hand-made list hit of `query` on `listed`."""
    return ListHit(entry=listed, query=query, matched_name=listed.name, score=score, strong=strong)


def record(
    entity_id: str,
    name: str,
    country: str | None = None,
    hq: str | None = None,
    owners: Iterable[tuple[str, float | None]] = (),
    as_of: str = DAY,
    **fields: Any,
) -> OwnershipRecord:
    """An ownership-registry record with (owner id, share) pairs."""
    return OwnershipRecord(
        entity_id=entity_id,
        name=name,
        country=country,
        hq_country=hq,
        owners=tuple(OwnerLink(owner, share) for owner, share in owners),
        as_of=date.fromisoformat(as_of),
        **fields,
    )


def profile(
    of: Party,
    hits: Sequence[ListHit] = (),
    *,
    entity: str | None = None,
    records: Sequence[OwnershipRecord] = (),
    listed: Mapping[str, Iterable[str]] | None = None,
    status: OwnershipStatus | None = None,
    day: str = DAY,
    ruleset: Ruleset | None = None,
) -> PartyProfile:
    """What the rules know about `of`: its hits, and its ownership analysed from `records` when `entity`
    names its registry record (`listed` maps entity ids to the lists they are on)."""
    rules = ruleset or shipped_ruleset()
    registry = {found.entity_id: found for found in records}
    finding = None
    stale = False
    if entity is not None and entity in registry:
        finding = analyse(
            entity,
            registry,
            {key: frozenset(codes) for key, codes in (listed or {}).items()},
            rules.ownership_policy,
            {"OFAC": rules.params(OfacParams).seed_lists, "BIS": rules.params(AffiliatesParams).seed_lists},
            as_of_date=date.fromisoformat(day),
        )
        stale = bool(finding.stale_records)
    known = entity is not None and entity in registry
    return PartyProfile(
        party=of,
        hits=tuple(hits),
        entity=registry.get(entity) if known and entity is not None else None,
        ownership_status=status or (OwnershipStatus.KNOWN if known else OwnershipStatus.NOT_FOUND),
        ownership=finding,
        stale=stale,
    )


def classified(event: Event, ruleset: Ruleset | None = None) -> tuple[ItemResult, ...]:
    """The event's lines classified with the shipped catalogue, as of the event's decision date."""
    rules = ruleset or shipped_ruleset()
    on = decision_date(event, rules)
    return tuple(classify_item(line, shipped_catalogue(), rules.classification, on) for line in event.items)


def context(
    event: Event,
    profiles: Sequence[PartyProfile] | None = None,
    *,
    items: Sequence[ItemResult] | None = None,
    ruleset: Ruleset | None = None,
    **facts: Any,
) -> RuleContext:
    """The rule context of `event`; a party without a given profile has no hits and no registry record."""
    rules = ruleset or shipped_ruleset()
    given = {id(found.party): found for found in profiles or ()}
    by_party = [given.get(id(p)) or profile(p) for p in event.parties]
    return build_context(
        event, items if items is not None else classified(event, rules), by_party, rules, **facts
    )


def run(rule_class: type[Rule], ctx: RuleContext, ruleset: Ruleset | None = None) -> list[Reason]:
    """The reasons one rule, built from the ruleset's parameters, finds on `ctx`."""
    rules = ruleset or shipped_ruleset()
    return list(rule_class(rules.params(rule_class.Params)).evaluate(ctx))


def codes(reasons: Iterable[Reason]) -> list[tuple[str, str]]:
    """(code, outcome) of each reason, in order."""
    return [(reason.code.value, reason.outcome.value) for reason in reasons]
