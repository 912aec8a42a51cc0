"""`m.direct` is shared with the bot account's other clients: changes merge, never overwrite."""

from __future__ import annotations

from adapters.matrix.direct import merged_direct

ALICE = "@alice:example.org"
BOB = "@bob:example.org"


def test_a_new_dm_room_is_added_and_every_other_entry_is_kept() -> None:
    current = {BOB: ["!b"], ALICE: ["!old"], "x.unknown": {"kept": True}}
    assert merged_direct(current, ALICE, add="!new") == {
        BOB: ["!b"],
        ALICE: ["!old", "!new"],
        "x.unknown": {"kept": True},
    }
    assert current[ALICE] == ["!old"]  # the input is not mutated


def test_a_replaced_room_is_removed_and_an_emptied_user_disappears() -> None:
    current = {BOB: ["!b"], ALICE: ["!old"]}
    assert merged_direct(current, ALICE, add="!new", remove="!old") == {
        BOB: ["!b"],
        ALICE: ["!new"],
    }
    assert merged_direct(current, ALICE, remove="!old") == {BOB: ["!b"]}


def test_nothing_to_write_when_nothing_changes() -> None:
    assert merged_direct({ALICE: ["!a"]}, ALICE, add="!a") is None
    assert merged_direct({}, ALICE, remove="!gone") is None
    assert merged_direct({ALICE: "not a list"}, ALICE, add="!a") == {ALICE: ["!a"]}
