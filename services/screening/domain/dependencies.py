"""What a decision depended on, and what a change of the lists or of the registry can reach.

A rescreen after a change needs to re-decide only the open subjects whose decision the change can alter.
`Dependencies` names, for one decision, everything of the lists and of the registry it read:

- `entries`: the list entries its findings matched (a party's name or address, an owner's names or its
  record's links), and the entries the records on its ownership chains link to (a link to an entry the
  lists do not hold yet makes the owner listed once they do);
- `entities`: the registry entities on the ownership chains of its parties (the party's entity and every
  owner above it, with or without a record), and each party's own registry id even when the registry has
  no record for it (a new record for it reaches the subject);
- `registry_keys`: the name keys a party without an id is looked up by (`party_lookup_keys`): a new
  record indexed under one of them resolves the party;
- `names`: the name queries the engine screened (a party's names and country, each registry record's names
  and country on its chains), encoded by `name_query`; a new or changed list entry that matches one of
  them reaches the subject;
- `addresses`: the address queries it screened (`address_query`);
- `always`: the decision was made without the lists or the registry: any change re-decides it.

`screening.domain.list_delta` tells what a list change changed and which queries it reaches. Pure:
standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

ENTRY = "entry:"
ENTITY = "entity:"
REGISTRY_KEY = "regkey:"
NAME = "name:"
ADDRESS = "addr:"
ALWAYS = "always"
"""Prefixes of the dependency keys (`Dependencies.keys`), and the key of decisions that depend on all."""


def name_query(names: Sequence[str], country: str | None) -> str:
    """One screened name query (the names of a party or a registry record, and its country) as text."""
    return json.dumps([country or "", *names], ensure_ascii=False, separators=(",", ":"))


def parse_name_query(text: str) -> tuple[tuple[str, ...], str | None]:
    """The (names, country) of a `name_query`."""
    country, *names = json.loads(text)
    return tuple(names), country or None


def address_query(address: str, country: str | None) -> str:
    """One screened address (and its country) as text."""
    return json.dumps([country or "", address], ensure_ascii=False, separators=(",", ":"))


def parse_address_query(text: str) -> tuple[str, str | None]:
    """The (address, country) of an `address_query`."""
    country, address = json.loads(text)
    return address, country or None


@dataclass(frozen=True, slots=True)
class Dependencies:
    """Everything of the lists and the registry one decision read (see the module docstring)."""

    entries: frozenset[str] = frozenset()
    entities: frozenset[str] = frozenset()
    registry_keys: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()
    always: bool = False

    def keys(self) -> tuple[str, ...]:
        """The dependency keys, sorted: `entry:{id}`, `entity:{id}`, `regkey:{key}`, `name:{query}`,
        `addr:{query}`, and `always` for a decision made without the lists or the registry."""
        found = [
            *(ENTRY + e for e in self.entries),
            *(ENTITY + e for e in self.entities),
            *(REGISTRY_KEY + k for k in self.registry_keys),
            *(NAME + n for n in self.names),
            *(ADDRESS + a for a in self.addresses),
        ]
        if self.always:
            found.append(ALWAYS)
        return tuple(sorted(found))

    def __or__(self, other: Dependencies) -> Dependencies:
        return Dependencies(
            self.entries | other.entries,
            self.entities | other.entities,
            self.registry_keys | other.registry_keys,
            self.names | other.names,
            self.addresses | other.addresses,
            self.always or other.always,
        )
