"""Wire models of the v1 contract (pydantic): order, lease, ownership record, decision and DLQ record.

These are the only pydantic types in the service. They are converted to domain types at the edge
(`to_domain`) and decisions are converted back (`decision_to_wire`). `schemas/` is generated from them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from screening.domain import model
from screening.domain.licensing import LicenceParty, LicenceRecord
from screening.domain.ownership import OwnershipRecordError, record_from_mapping
from screening.domain.review import Review, ReviewAction

CountryCode = Annotated[str, Field(min_length=2, max_length=2, pattern="^[A-Za-z]{2}$")]


class _Wire(BaseModel):
    # Unknown fields are ignored so producers can add fields without breaking older services (additive v1).
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PartyV1(_Wire):
    """A party of an order or lease. Only `name` is required."""

    name: str = Field(min_length=1, description="Legal or trading name as the caller knows it")
    aliases: list[str] = Field(default_factory=list, description="Other names, any script")
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2 country of the party")
    address: str | None = None
    party_id: str | None = Field(default=None, description="Caller's id or an ownership-registry entity_id")
    hq_country: CountryCode | None = Field(default=None, description="ISO-2 headquarters country, if known")
    role: str | None = Field(
        default=None, description="For intermediaries: freight_forwarder, reseller, bank..."
    )

    @field_validator("country", "hq_country")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class AcceleratorV1(_Wire):
    """An accelerator inside a server or board line (additive to v1)."""

    product: str = Field(min_length=1)
    count: int = Field(default=1, ge=1)


class ItemV1(_Wire):
    """An order line."""

    line_id: str = Field(min_length=1)
    product: str = Field(min_length=1)
    quantity: int = Field(ge=0)
    eccn: str | None = Field(default=None, description="Vendor's ECCN, e.g. 3A090.a, 4A090.a, 5A992.z, EAR99")
    tpp: float | None = Field(default=None, ge=0, description="Total Processing Performance")
    die_area_mm2: float | None = Field(default=None, gt=0, description="Applicable (FinFET logic) die area")
    datacenter: bool | None = Field(default=None, description="Designed or marketed for datacenters")
    memory_bandwidth_gbs: float | None = Field(default=None, ge=0, description="Additive: memory bandwidth")
    package_area_mm2: float | None = Field(default=None, gt=0, description="Additive: HBM package area")
    accelerators: list[AcceleratorV1] = Field(default_factory=list, description="Additive: chips in a server")


class ResourceV1(_Wire):
    """A leased resource; `quantity` counts accelerators."""

    product: str = Field(min_length=1)
    quantity: int = Field(ge=0)
    line_id: str | None = Field(default=None, description="Additive: defaults to r1, r2... in event order")
    eccn: str | None = None
    tpp: float | None = Field(default=None, ge=0)
    die_area_mm2: float | None = Field(default=None, gt=0)
    datacenter: bool | None = None


class LicenceV1(_Wire):
    """A licence or licence exception on file; counts only for the ECCN, destination and dates it names."""

    number: str = Field(min_length=1)
    type: Literal["license", "NAC", "ACA"]
    eccn: str | None = None
    destination: CountryCode | None = None
    valid_from: date | None = Field(default=None, description="Additive: first day the licence is valid")
    valid_until: date | None = None


class OrderEventV1(_Wire):
    """An order event on `screening.orders.v1`, keyed by `order_id`."""

    event_id: str = Field(min_length=1)
    occurred_at: datetime
    order_id: str = Field(min_length=1)
    action: Literal["create", "amend", "cancel"] = "create"
    seller: PartyV1 | None = None
    buyer: PartyV1
    end_user: PartyV1 | None = None
    intermediaries: list[PartyV1] = Field(default_factory=list)
    ship_from_country: CountryCode | None = None
    ship_to_country: CountryCode | None = None
    ship_to_address: str | None = Field(
        default=None,
        description="Additive: the delivery address as free text (street, city, postcode); screened against "
        "the control lists' addresses. Its country is `ship_to_country`",
    )
    ship_date: date | None = Field(
        default=None,
        description="Additive: the requested ship date; the order is decided as of it (else occurred_at)",
    )
    items: list[ItemV1] = Field(min_length=1)
    end_use: str | None = None
    licenses: list[LicenceV1] = Field(default_factory=list)


class LeaseEventV1(_Wire):
    """A lease event on `screening.leases.v1`, keyed by `lease_id`."""

    event_id: str = Field(min_length=1)
    occurred_at: datetime
    lease_id: str = Field(min_length=1)
    action: Literal["start", "extend", "modify", "terminate"] = "start"
    lessor: PartyV1 | None = None
    lessee: PartyV1
    end_user: PartyV1 | None = None
    resources: list[ResourceV1] = Field(min_length=1)
    hardware_country: CountryCode | None = None
    access: Literal["remote", "dedicated"] | None = Field(
        default=None,
        description="remote or dedicated; absent means the platform did not say (held as unknown)",
    )
    start: date | None = None
    end: date | None = None
    purpose: str | None = None
    licenses: list[LicenceV1] = Field(default_factory=list)
    title_transfer: bool = Field(
        default=False, description="Additive: on terminate, title to the hardware passes to the lessee"
    )


class OwnerV1(_Wire):
    """An owner of a registry entity; `share` null means known owner, unknown share."""

    entity_id: str = Field(min_length=1)
    share: float | None = Field(default=None, ge=0, le=1)


class OwnershipRecordV1(_Wire):
    """An ownership record on the compacted `screening.ownership.v1` topic, keyed by `entity_id`."""

    entity_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    country: CountryCode | None = None
    hq_country: CountryCode | None = None
    owners: list[OwnerV1] = Field(default_factory=list)
    as_of: date | None = None
    source: str | None = None
    list_entry_ids: list[str] = Field(
        default_factory=list,
        description="Additive: ids of control-list entries (decision evidence `entry_id`) this entity is "
        "known to be; the evidence that it is listed, beyond an exact match of its names",
    )

    @model_validator(mode="before")
    @classmethod
    def _valid_record(cls, data: Any) -> Any:
        # The one ownership validator (duplicate owners, shares adding up to more than 1, self-ownership,
        # bounded ids and names, `true` is not a share) reads the input as given, so the wire model and
        # the service refuse the same records.
        if isinstance(data, dict):
            try:
                record_from_mapping(data)
            except OwnershipRecordError as error:
                raise ValueError(str(error)) from error
        return data


class SubjectV1(_Wire):
    """What a decision is about."""

    kind: Literal["order", "lease"]
    id: str


class ReasonV1(_Wire):
    """One rule's finding."""

    code: str = Field(pattern="^[A-Z0-9_]+$")
    outcome: Literal["allow", "hold", "deny"]
    message: str
    party_role: str | None = None
    line_id: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class ItemClassificationV1(_Wire):
    """How a line was classified."""

    line_id: str
    eccn: str | None
    tpp: float | None
    performance_density: float | None
    basis: str
    product: str | None = None
    catalogue_model: str | None = None


class VersionsV1(_Wire):
    """Versions of the ruleset, lists and ownership data a decision used."""

    ruleset: str
    lists: str
    ownership: str
    lists_as_of: str | None = Field(
        default=None,
        description="Additive: when the lists' source published them (ISO 8601 UTC); null without lists",
    )
    lists_age_hours: float | None = Field(
        default=None, description="Additive: hours from `lists_as_of` to the decision; null without lists"
    )


class SignatureV1(_Wire):
    """The service's signature over the decision's canonical bytes (`screening.signing`)."""

    alg: Literal["ed25519"]
    key_id: str = Field(description="16 hex digits of the SHA-256 of the signing key's raw public key")
    value: str = Field(description="Base64 of the 64-byte Ed25519 signature")


class DecisionV1(_Wire):
    """A decision on `screening.decisions.v1`, keyed by the subject id."""

    decision_id: str
    event_id: str
    subject: SubjectV1
    outcome: Literal["allow", "hold", "deny"]
    reasons: list[ReasonV1]
    items: list[ItemClassificationV1]
    trigger: Literal["event", "rescreen", "review"]
    versions: VersionsV1
    decided_at: datetime
    signature: SignatureV1 | None = Field(
        default=None, description="Ed25519 signature of the decision; absent when the service signs nothing"
    )


class ReviewV1(_Wire):
    """A reviewer's verdict on a held decision, on `screening.reviews.v1`, keyed by the subject id."""

    review_id: str = Field(min_length=1, max_length=200, description="Unique id of this review")
    subject: SubjectV1
    decision_id: str = Field(
        min_length=1, max_length=200, description="The held decision reviewed: the subject's current hold"
    )
    action: Literal["release", "confirm", "request_info"] = Field(
        description="release: allow; confirm: deny; request_info: stays hold, waiting for information"
    )
    reviewer: str = Field(min_length=1, max_length=200, description="Who reviewed (from their sign-in)")
    reason: str = Field(min_length=1, max_length=4000, description="Why, in the reviewer's words")
    false_positive_entries: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="List entry ids of the hold's list matches the reviewer found to be false positives",
    )
    reviewed_at: datetime


class LicencePartyV1(_Wire):
    """A party a licence names: matched to the event's by `party_id`, else by name and country."""

    name: str = Field(min_length=1, max_length=512)
    country: CountryCode | None = None
    party_id: str | None = Field(default=None, max_length=200)

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class LicenceRecordV1(_Wire):
    """A licence or NAC/ACA notification on the compacted `screening.licences.v1` (keyed by `number`; a
    tombstone deletes it), or a line of a file for `screening licences load`."""

    number: str = Field(min_length=1, max_length=200, description="Licence or authorization number")
    type: Literal["license", "NAC", "ACA"]
    eccns: list[str] = Field(
        min_length=1, max_length=50, description="ECCNs it covers (4A090 covers 4A090.a)"
    )
    destinations: list[CountryCode] = Field(min_length=1, max_length=50, description="ISO-2 destinations")
    consignee: LicencePartyV1 | None = Field(default=None, description="The ultimate consignee it names")
    end_user: LicencePartyV1 | None = Field(default=None, description="The end user it names")
    quantity_limit: int | None = Field(
        default=None, ge=0, le=10**9, description="Units it allows in all (drawn down by allowed events)"
    )
    value_limit: float | None = Field(default=None, ge=0, description="Value it allows in all (recorded)")
    currency: str | None = Field(default=None, max_length=3)
    valid_from: date | None = None
    valid_until: date | None = None
    status: Literal["active", "revoked", "suspended"] = "active"

    @field_validator("destinations")
    @classmethod
    def _upper_all(cls, values: list[str]) -> list[str]:
        return [value.upper() for value in values]

    @field_validator("eccns")
    @classmethod
    def _bounded(cls, values: list[str]) -> list[str]:
        if any(not value.strip() or len(value) > 200 for value in values):
            raise ValueError("an ECCN must be 1 to 200 characters")
        return [value.strip() for value in values]


def licence_to_domain(wire_record: LicenceRecordV1) -> LicenceRecord:
    """Convert a validated licence record to the domain type."""

    def party(named: LicencePartyV1 | None) -> LicenceParty | None:
        return LicenceParty(named.name, named.country, named.party_id) if named is not None else None

    return LicenceRecord(
        number=wire_record.number,
        type=wire_record.type,
        eccns=tuple(wire_record.eccns),
        destinations=tuple(wire_record.destinations),
        consignee=party(wire_record.consignee),
        end_user=party(wire_record.end_user),
        quantity_limit=wire_record.quantity_limit,
        value_limit=wire_record.value_limit,
        valid_from=wire_record.valid_from,
        valid_until=wire_record.valid_until,
        status=wire_record.status,
    )


def licence_to_json(record: LicenceRecord) -> bytes:
    """A licence record in its contract form (what Redis stores and the topic carries)."""
    import orjson

    def party(named: LicenceParty | None) -> dict[str, Any] | None:
        return {"name": named.name, "country": named.country, "party_id": named.party_id} if named else None

    return orjson.dumps(
        {
            "number": record.number,
            "type": record.type,
            "eccns": list(record.eccns),
            "destinations": list(record.destinations),
            "consignee": party(record.consignee),
            "end_user": party(record.end_user),
            "quantity_limit": record.quantity_limit,
            "value_limit": record.value_limit,
            "valid_from": record.valid_from.isoformat() if record.valid_from else None,
            "valid_until": record.valid_until.isoformat() if record.valid_until else None,
            "status": record.status,
        }
    )


class DlqRecordV1(_Wire):
    """A rejected message on `screening.dlq.v1`, keyed by the original key."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: str | None = Field(
        description="The original value, decoded as UTF-8 with replacement; cut short when value_truncated"
    )
    error: str
    error_kind: str = Field(
        description="invalid_json, schema, too_large, invalid_header, processing (the service failed), or "
        "review (a review that cannot be applied: stale, of no open hold, by a reviewer not allowed)"
    )
    rejected_at: datetime
    value_length: int | None = Field(default=None, description="Additive: bytes in the original value")
    value_sha256: str | None = Field(
        default=None, description="Additive: SHA-256 of the whole original value"
    )
    value_truncated: bool = Field(
        default=False, description="Additive: `value` holds only the start of the original value"
    )
    key_truncated: bool = Field(default=False, description="Additive: `key` holds only the start of the key")


# --------------------------------------------------------------------------------------------------
# Wire → domain


def _party(wire: PartyV1 | None, role: str) -> model.Party | None:
    if wire is None:
        return None
    return model.Party(
        name=wire.name,
        role=role,
        aliases=tuple(wire.aliases),
        country=wire.country,
        address=wire.address,
        party_id=wire.party_id,
        hq_country=wire.hq_country,
        party_role_detail=wire.role,
    )


def _licences(wires: list[LicenceV1]) -> tuple[model.Licence, ...]:
    return tuple(
        model.Licence(
            number=lic.number,
            type=lic.type,
            eccn=lic.eccn,
            destination=lic.destination,
            valid_from=lic.valid_from,
            valid_until=lic.valid_until,
        )
        for lic in wires
    )


def order_to_domain(wire: OrderEventV1, received_at: datetime | None = None) -> model.Order:
    """Convert a validated order event to the domain type; `received_at` is the Kafka record's time."""
    buyer = _party(wire.buyer, "buyer")
    assert buyer is not None  # required by the schema
    return model.Order(
        event_id=wire.event_id,
        occurred_at=wire.occurred_at,
        order_id=wire.order_id,
        action=wire.action,
        seller=_party(wire.seller, "seller"),
        buyer=buyer,
        end_user=_party(wire.end_user, "end_user"),
        intermediaries=tuple(
            party for i in wire.intermediaries if (party := _party(i, "intermediary")) is not None
        ),
        ship_from_country=wire.ship_from_country,
        ship_to_country=wire.ship_to_country,
        ship_to_address=wire.ship_to_address,
        ship_date=wire.ship_date,
        items=tuple(
            model.Item(
                line_id=item.line_id,
                product=item.product,
                quantity=item.quantity,
                eccn=item.eccn,
                tpp=item.tpp,
                die_area_mm2=item.die_area_mm2,
                datacenter=item.datacenter,
                memory_bandwidth_gbs=item.memory_bandwidth_gbs,
                package_area_mm2=item.package_area_mm2,
                accelerators=tuple(model.Accelerator(a.product, a.count) for a in item.accelerators),
            )
            for item in wire.items
        ),
        end_use=wire.end_use,
        licences=_licences(wire.licenses),
        received_at=received_at,
    )


def lease_to_domain(wire: LeaseEventV1, received_at: datetime | None = None) -> model.Lease:
    """Convert a validated lease event to the domain type; `received_at` is the Kafka record's time."""
    lessee = _party(wire.lessee, "lessee")
    assert lessee is not None  # required by the schema
    return model.Lease(
        event_id=wire.event_id,
        occurred_at=wire.occurred_at,
        lease_id=wire.lease_id,
        action=wire.action,
        lessor=_party(wire.lessor, "lessor"),
        lessee=lessee,
        end_user=_party(wire.end_user, "end_user"),
        resources=tuple(
            model.Item(
                line_id=res.line_id or f"r{index}",
                product=res.product,
                quantity=res.quantity,
                eccn=res.eccn,
                tpp=res.tpp,
                die_area_mm2=res.die_area_mm2,
                datacenter=res.datacenter,
            )
            for index, res in enumerate(wire.resources, start=1)
        ),
        hardware_country=wire.hardware_country,
        access=wire.access,
        start=wire.start,
        end=wire.end,
        purpose=wire.purpose,
        licences=_licences(wire.licenses),
        title_transfer=wire.title_transfer,
        received_at=received_at,
    )


def review_to_domain(wire_review: ReviewV1) -> Review:
    """Convert a validated review to the domain type."""
    return Review(
        review_id=wire_review.review_id,
        kind=wire_review.subject.kind,
        subject_id=wire_review.subject.id,
        decision_id=wire_review.decision_id,
        action=ReviewAction(wire_review.action),
        reviewer=wire_review.reviewer,
        reason=wire_review.reason,
        reviewed_at=wire_review.reviewed_at,
        false_positive_entries=tuple(dict.fromkeys(wire_review.false_positive_entries)),
    )


def decision_to_wire(decision: model.Decision) -> DecisionV1:
    """Convert a domain decision to its wire form."""
    return DecisionV1(
        decision_id=decision.decision_id,
        event_id=decision.event_id,
        subject=SubjectV1(kind=decision.subject_kind, id=decision.subject_id),  # type: ignore[arg-type]
        outcome=decision.outcome.value,
        reasons=[
            ReasonV1(
                code=r.code,
                outcome=r.outcome.value,
                message=r.message,
                party_role=r.party_role,
                line_id=r.line_id,
                evidence=r.evidence,
            )
            for r in decision.reasons
        ],
        items=[
            ItemClassificationV1(
                line_id=i.line_id,
                eccn=i.eccn,
                tpp=i.tpp,
                performance_density=i.performance_density,
                basis=i.basis,
                product=i.product,
                catalogue_model=i.catalogue_model,
            )
            for i in decision.items
        ],
        trigger=decision.trigger,  # type: ignore[arg-type]
        versions=VersionsV1(
            ruleset=decision.versions.ruleset,
            lists=decision.versions.lists,
            ownership=decision.versions.ownership,
            lists_as_of=decision.versions.lists_as_of,
            lists_age_hours=decision.versions.lists_age_hours,
        ),
        decided_at=decision.decided_at,
    )
