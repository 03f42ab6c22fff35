"""What a new version of the lists changed, and which screened queries the change can reach.

`ListDelta` is what differs between two versions of the lists (by entry id and content); `ChangedEntries`
finds the name and address queries (`screening.domain.dependencies`) the added and changed entries can
reach, with the engine's own indexes of the new lists. Pure: standard library and the matchers only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from screening.domain.addresses import AddressIndex
from screening.domain.dependencies import parse_address_query, parse_name_query
from screening.domain.lists import ListEntry
from screening.domain.names import NameIndex, normalise

MIN_INSIDE = 3
"""The shortest token counted as part of a longer one (a glued or split word)."""


def _near_keys(token: str) -> tuple[str, ...]:
    """The token and its one-deletion forms: two tokens share a key when they are at most two edits apart
    (the matcher's typo neighbourhood is one deletion on either side)."""
    return (token, *(token[:i] + token[i + 1 :] for i in range(len(token))))


def _parts(token: str) -> tuple[str, ...]:
    """Every piece of `token` at least `MIN_INSIDE` long (the token itself included)."""
    size = len(token)
    return tuple(token[i:j] for i in range(size) for j in range(i + MIN_INSIDE, size + 1))


def with_tokens(query: str) -> str:
    """A `name_query` followed by a tab and the matcher's tokens of its names (what `ChangedEntries`
    compares first), so a rescreen need not normalise every stored name again."""
    names, _ = parse_name_query(query)
    tokens = sorted({token for name in names for token in normalise(name).tokens})
    return f"{query}\t{' '.join(tokens)}"


@dataclass(frozen=True, slots=True)
class ListDelta:
    """The entries added, removed and changed (any field) from one version of the lists to the next."""

    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    changed: frozenset[str] = frozenset()

    @property
    def touched(self) -> frozenset[str]:
        """Every entry id the change concerns."""
        return self.added | self.removed | self.changed

    @staticmethod
    def between(old: Iterable[ListEntry], new: Iterable[ListEntry]) -> ListDelta:
        """The delta from the entries `old` to `new`, by entry id and content: every field of the entry
        (what `entry_fingerprint` hashes; entries are compared whole, which is as exact and faster). An id
        listed more than once counts as changed when its copies differ."""
        before = _by_id(old)
        after = _by_id(new)
        return ListDelta(
            added=frozenset(after.keys() - before.keys()),
            removed=frozenset(before.keys() - after.keys()),
            changed=frozenset(i for i in before.keys() & after.keys() if before[i] != after[i]),
        )


def _by_id(entries: Iterable[ListEntry]) -> dict[str, frozenset[ListEntry]]:
    found: dict[str, set[ListEntry]] = {}
    for entry in entries:
        found.setdefault(entry.entry_id, set()).add(entry)
    return {entry_id: frozenset(copies) for entry_id, copies in found.items()}


@dataclass
class ChangedEntries:
    """The added and changed entries of a list change, to tell which screened name and address queries
    they can reach.

    A name query is reached when the engine's own name index of the new lists (`index`) gives a hit on a
    changed entry for it, exactly as the engine asks (`match(names, country)`): the same matcher and token
    weights the re-decision will use. Only queries that share a token with a changed entry (the same, at
    most two edits apart, or one inside the other) are asked: the matcher scores by weighted token
    agreement, so a query with no such token cannot reach one. An address query is reached when the
    engine's address index of the new lists (`addresses`) gives it a hit at a changed entry's address, as
    the engine asks (`match(address, country, floor=address_floor)`).
    """

    entries: tuple[ListEntry, ...]
    index: NameIndex
    addresses: AddressIndex | None
    address_floor: float
    extra_aliases: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Supplemental names of the entries, as `index` holds them (`NameIndex.supplemental_aliases`)."""
    _ids: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _with_address: bool = field(default=False, init=False, repr=False)
    _tokens: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _near: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _parts: frozenset[str] = field(default=frozenset(), init=False, repr=False)

    def __post_init__(self) -> None:
        self._ids = frozenset(e.entry_id for e in self.entries)
        names = [n for e in self.entries for n in e.names] + [
            alias for aliases in self.extra_aliases.values() for alias in aliases
        ]
        self._tokens = frozenset(t for name in names if name.strip() for t in normalise(name).tokens)
        self._near = frozenset(k for t in self._tokens for k in _near_keys(t))
        self._parts = frozenset(p for t in self._tokens for p in _parts(t))
        # No address among the changed entries: no address query to screen at all.
        self._with_address = self.addresses is not None and any(e.addresses for e in self.entries)

    @property
    def screens_names(self) -> bool:
        """Whether any changed entry has a name to match (else no name query can be reached)."""
        return bool(self._tokens)

    @property
    def screens_addresses(self) -> bool:
        """Whether any changed entry has an address to match."""
        return self._with_address

    def reaches_name(self, query: str) -> bool:
        """Whether the engine's index gives the name query (`name_query`) a hit on a changed entry. The
        query may carry its names' tokens after a tab (`with_tokens`), saving their normalisation."""
        if not self._tokens:
            return False
        text, tab, carried = query.partition("\t")
        names, country = parse_name_query(text)
        tokens = carried.split() if tab else [t for name in names for t in normalise(name).tokens]
        if not any(self._related(token) for token in tokens):
            return False
        return any(hit.entry.entry_id in self._ids for hit in self.index.match(names, country))

    def _related(self, token: str) -> bool:
        """Whether a name token is related to a token of the changed entries at all."""
        return (
            token in self._tokens
            or token in self._parts
            or any(k in self._near for k in _near_keys(token))
            or any(p in self._tokens for p in _parts(token))
        )

    def reaches_address(self, query: str) -> bool:
        """Whether the engine's address index matches the address query to a changed entry's address."""
        if not self._with_address or self.addresses is None:
            return False
        address, country = parse_address_query(query)
        hits = self.addresses.match(address, country, floor=self.address_floor)
        return any(entry.entry_id in self._ids for hit in hits for entry in hit.listed.entries)
