"""The shared record store of one emulator resource (`unigate.sandbox.collection`)."""

from __future__ import annotations

import uuid

import pytest

from unigate.sandbox.collection import (
    Collection,
    CursorError,
    LimitError,
    decode_cursor,
    encode_cursor,
    parse_limit,
)


def filled(count: int, **options) -> Collection:
    store = Collection(**options)
    for _ in range(count):
        record_id = store.new_id()
        store.add(record_id, {"id": record_id})
    return store


def test_ids_increase_from_first_id_by_step_in_the_crm_form():
    store = filled(3, first_id=18_000_000_001, make_id=str, number_of=int)
    assert store.active == ["18000000001", "18000000002", "18000000003"]
    stepped = filled(3, first_id=100, step=10)
    assert stepped.active == [100, 110, 120]
    assert stepped.new_id() == 130


def test_an_id_factory_gives_string_ids_kept_in_insertion_order():
    store = Collection(make_id=lambda n: str(uuid.UUID(int=n)))
    ids = [store.new_id() for _ in range(3)]
    for record_id in reversed(ids):
        store.add(record_id, {"id": record_id})
    assert store.active == list(reversed(ids))
    assert store.delete(ids[1]) == {"id": ids[1]}
    assert store.active == [ids[2], ids[0]] and ids[1] not in store


def test_archive_moves_a_record_out_of_the_live_order_and_restore_puts_it_back_in_place():
    store = filled(5, number_of=int)
    assert store.archive(3) == {"id": 3}
    assert store.archive(3) is None  # already archived
    assert store.active == [1, 2, 4, 5] and store.archived == [3]
    assert store.get(3) == {"id": 3} and store.get_active(3) is None
    assert len(store) == 5 and [r["id"] for r in store.live()] == [1, 2, 4, 5]
    assert store.restore(3) == {"id": 3}
    assert store.active == [1, 2, 3, 4, 5] and store.archived == []
    assert store.get_active(3) == {"id": 3}


def test_delete_removes_live_and_archived_records_for_good():
    store = filled(4, number_of=int)
    store.archive(2)
    assert store.delete(2) == {"id": 2}
    assert store.delete(4) == {"id": 4}
    assert store.delete(4) is None
    assert store.active == [1, 3] and store.archived == [] and store.snapshot() == [{"id": 1}, {"id": 3}]


def test_put_replaces_in_place_and_adds_when_new():
    store = filled(3)
    store.put(2, {"id": 2, "name": "changed"})
    assert store.snapshot() == [{"id": 1}, {"id": 2, "name": "changed"}, {"id": 3}]
    store.put(9, {"id": 9})
    assert store.active == [1, 2, 3, 9]


def test_paging_by_offset_page_number_and_id_cursor():
    store = filled(25, number_of=int)
    assert [r["id"] for r in store.window(20, 10)] == [21, 22, 23, 24, 25]
    assert [r["id"] for r in store.page(2, 10)] == list(range(11, 21))
    assert store.page(4, 10) == []
    assert store.has_more(10, 10) and not store.has_more(20, 10)
    store.archive(12)
    assert store.index_from(12) == 11  # the first live id >= 12 is 13, at position 11
    assert store.window(store.index_from(12), 2) == [{"id": 13}, {"id": 14}]
    assert store.window(0, 10, archived=True) == [{"id": 12}]


def test_clear_forgets_records_and_restarts_ids():
    store = filled(3)
    store.clear()
    assert len(store) == 0 and store.active == [] and store.new_id() == 1


def test_parse_limit_checks_the_range_and_keeps_what_was_sent():
    assert parse_limit(None, default=10, maximum=100) == 10
    assert parse_limit("100", default=10, maximum=100) == 100
    assert parse_limit("0", default=10, maximum=100, minimum=0) == 0
    for raw in ("0", "101", "ten", "", "1.5"):
        with pytest.raises(LimitError) as caught:
            parse_limit(raw, default=10, maximum=100)
        assert caught.value.raw == raw


def test_cursors_are_opaque_and_refuse_what_was_not_issued():
    cursor = encode_cursor({"id": 42, "sort": ["b", 3]})
    assert "=" not in cursor and "42" not in cursor
    assert decode_cursor(cursor) == {"id": 42, "sort": ["b", 3]}
    for hostile in ("!!!", "bm90IGpzb24", "x" * 5):
        with pytest.raises(CursorError):
            decode_cursor(hostile)
