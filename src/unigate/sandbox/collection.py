"""One resource's records in one emulator: an ordered store with id allocation, soft delete and paging.

A `Collection` keeps every stored record by its id (as the CRM writes it: an int, a numeric string,
a UUID...) and two ordered id lists, `active` and `archived`. Ids come from `new_id()`: increasing
integers from `first_id` by `step`, turned into the CRM's id form by `make_id` (`str` for HubSpot's
numeric strings, a UUID factory for Pipeliner). When ids increase, insertion order is id order, so
with `number_of` (the id's position in that order, e.g. `int`) a cursor "from id N" is a bisect and
a page is a slice, never a scan.

Soft delete (HubSpot's archive, Pipedrive's is_deleted, a trash) moves an id from `active` to
`archived`; the record stays stored. CRMs without it use `delete`.

`records` is a `spaces.BoundedRecords`: a write through the CRM's API past the data space's bounds
raises `spaces.SpaceFull`, which the sandbox server answers as a full account.

Paging helpers: `window` (offset/limit slice), `page` (1-based page numbers), `index_from` (first
position at or after an id number), `encode_cursor`/`decode_cursor` (opaque cursors), `parse_limit`
(range check whose failure the caller turns into the CRM's own error).
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from unigate.sandbox.spaces import BoundedRecords

Record = dict[str, Any]


class LimitError(ValueError):
    """A page size that is not an integer within the CRM's range; `raw` is what the caller sent."""

    def __init__(self, raw: str) -> None:
        super().__init__(raw)
        self.raw = raw


class CursorError(ValueError):
    """A cursor this emulator did not issue (not base64, not JSON)."""


def parse_limit(raw: str | None, *, default: int, maximum: int, minimum: int = 1) -> int:
    """`raw` as an int in [minimum, maximum]; `default` when absent; LimitError otherwise."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise LimitError(raw) from None
    if not minimum <= value <= maximum:
        raise LimitError(raw)
    return value


def encode_cursor(position: Any) -> str:
    """An opaque cursor (unpadded URL-safe base64 of JSON) for any JSON-able position."""
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """The position an `encode_cursor` cursor holds; CursorError for anything else."""
    try:
        return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise CursorError(cursor) from None


class Collection:
    """The records of one resource, in insertion order, with active and archived id lists."""

    def __init__(self, *, first_id: int = 1, step: int = 1, make_id: Callable[[int], Any] = int,
                 number_of: Callable[[Any], int] | None = None) -> None:
        self.first_id = first_id
        self.step = step
        self.make_id = make_id
        # The id's place in id order (ascending with allocation); None: order is insertion only.
        self.number_of = number_of
        self.clear()

    def clear(self) -> None:
        """Forget every record and start ids from `first_id` again."""
        self.records: dict[Any, Record] = BoundedRecords()   # every stored record (active and archived), insertion order
        self.active: list[Any] = []            # ids of live records, insertion (= id) order
        self.archived: list[Any] = []          # ids of soft-deleted records, id order
        self._archived_set: set[Any] = set()
        self.next_number = self.first_id

    # -- ids and records ---------------------------------------------------------------------------
    def new_id(self) -> Any:
        """The next id, in the CRM's form."""
        number = self.next_number
        self.next_number += self.step
        return self.make_id(number)

    def add(self, record_id: Any, record: Record) -> Record:
        """Store a new live record at the end of the order."""
        self.records[record_id] = record
        self.active.append(record_id)
        return record

    def get(self, record_id: Any) -> Record | None:
        """The stored record (live or archived), or None."""
        return self.records.get(record_id)

    def get_active(self, record_id: Any) -> Record | None:
        """The record when it is live (not archived), or None."""
        record = self.records.get(record_id)
        if record is None or record_id in self._archived_set:
            return None
        return record

    def put(self, record_id: Any, record: Record) -> Record:
        """Replace a stored record in place (its position is kept), or add it when it is new."""
        if record_id in self.records:
            self.records[record_id] = record
            return record
        return self.add(record_id, record)

    def delete(self, record_id: Any) -> Record | None:
        """Remove a record for good; the removed record, or None when there was none."""
        record = self.records.pop(record_id, None)
        if record is not None:
            for ids in (self.active, self.archived):
                index = self._position(ids, record_id)
                if index is not None:
                    del ids[index]
                    break
            self._archived_set.discard(record_id)
        return record

    def archive(self, record_id: Any) -> Record | None:
        """Soft delete: the live record moves to `archived` (kept stored); None when not live."""
        index = self._position(self.active, record_id)
        if index is None:
            return None
        del self.active[index]
        self._insert_ordered(self.archived, record_id)
        self._archived_set.add(record_id)
        return self.records[record_id]

    def restore(self, record_id: Any) -> Record | None:
        """Undo `archive`: the record is live again, at its id's place."""
        index = self._position(self.archived, record_id)
        if index is None:
            return None
        del self.archived[index]
        self._archived_set.discard(record_id)
        self._insert_ordered(self.active, record_id)
        return self.records[record_id]

    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, record_id: Any) -> bool:
        return record_id in self.records

    def values(self) -> Iterator[Record]:
        """Every stored record (live and archived), in insertion order."""
        return iter(self.records.values())

    def live(self) -> Iterator[Record]:
        """The live records, in order."""
        records = self.records
        return (records[i] for i in self.active)

    def snapshot(self) -> list[Record]:
        """Every stored record in insertion order: what the control API's records answer shows."""
        return list(self.records.values())

    # -- paging --------------------------------------------------------------------------------------
    def ids(self, archived: bool = False) -> list[Any]:
        return self.archived if archived else self.active

    def window(self, offset: int, limit: int, archived: bool = False) -> list[Record]:
        """The records at positions [offset, offset + limit) of the live (or archived) order."""
        records = self.records
        return [records[i] for i in self.ids(archived)[offset:offset + limit]]

    def page(self, number: int, size: int, archived: bool = False) -> list[Record]:
        """Page `number` (1-based) of `size` records."""
        return self.window((number - 1) * size, size, archived)

    def index_from(self, number: int, archived: bool = False) -> int:
        """The position of the first id whose number is >= `number` (needs `number_of`)."""
        assert self.number_of is not None, "index_from needs ids in numeric order"
        return bisect_left(self.ids(archived), number, key=self.number_of)

    def has_more(self, offset: int, limit: int, archived: bool = False) -> bool:
        return offset + limit < len(self.ids(archived))

    # -- internals -----------------------------------------------------------------------------------
    def _position(self, ids: list[Any], record_id: Any) -> int | None:
        if self.number_of is not None:
            try:
                number = self.number_of(record_id)
            except (TypeError, ValueError):
                # An id of a form this store never issues (a caller's "abc" where numbers are expected)
                # has no place in id order: it is simply not found, as the CRM answers an unknown id.
                return None
            index = bisect_left(ids, number, key=self.number_of)
            return index if index < len(ids) and ids[index] == record_id else None
        try:
            return ids.index(record_id)
        except ValueError:
            return None

    def _insert_ordered(self, ids: list[Any], record_id: Any) -> None:
        if self.number_of is not None:
            insort(ids, record_id, key=self.number_of)
        else:
            ids.append(record_id)
