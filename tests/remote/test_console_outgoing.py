"""The uploader's reading side of the console: pieces follow the rotating file by identity, so a
rotation between two looks loses and repeats nothing, and a loss it cannot avoid is said."""
from __future__ import annotations

import os

from trainui import protocol
from trainui.trainer.console_outgoing import LOST, PIECE_BYTES, ConsoleOutgoing
from trainui.trainer.upload_state import UploadState, read_state, save_state


def shipped_all(outgoing: ConsoleOutgoing, rank: int = 0) -> bytes:
    """Take every piece as a server would (received = offset + length)."""
    got, start = b"", outgoing.consoles.get(str(rank), {}).get("shipped", 0)
    while (piece := outgoing.next_piece(rank)) is not None:
        assert piece.offset == start + len(got)  # contiguous: no gap, no overlap
        got += piece.data
        outgoing.acknowledge(piece, piece.offset + len(piece.data))
    return got


def write(path, text: str) -> None:
    with open(path, "ab") as f:
        f.write(text.encode())


def rotate(path) -> None:
    if os.path.exists(f"{path}.1"):
        os.unlink(f"{path}.1")
    os.replace(path, f"{path}.1")


def test_a_rotation_between_looks_ships_the_rest_of_the_old_file_then_the_new_one(tmp_path):
    path = tmp_path / protocol.console_file(0)
    path.parent.mkdir()
    outgoing = ConsoleOutgoing(str(tmp_path), UploadState("http://s", "p"))
    write(path, "one\ntw")
    assert shipped_all(outgoing) == b"one\ntw"
    write(path, "o\n")
    rotate(path)
    write(path, "three\n")
    assert shipped_all(outgoing) == b"o\nthree\n"
    assert outgoing.next_piece(0) is None  # nothing new: no request


def test_output_rotated_out_before_it_was_shipped_is_marked_lost(tmp_path):
    path = tmp_path / protocol.console_file(0)
    path.parent.mkdir()
    outgoing = ConsoleOutgoing(str(tmp_path), UploadState("http://s", "p"))
    write(path, "first\n")
    assert shipped_all(outgoing) == b"first\n"
    write(path, "never shipped\n")
    rotate(path)
    write(path, "second\n")
    rotate(path)  # the file being read is gone: its tail cannot be shipped any more
    write(path, "third\n")
    assert shipped_all(outgoing) == LOST.encode() + b"second\nthird\n"


def test_pieces_are_text_cut_at_whole_characters_and_bounded(tmp_path):
    path = tmp_path / protocol.console_file(3)
    path.parent.mkdir()
    outgoing = ConsoleOutgoing(str(tmp_path), UploadState("http://s", "p"))
    write(path, "x" * (PIECE_BYTES + 10))
    with open(path, "ab") as f:
        f.write(b"\x00bin\xff\xe2\x82")  # NUL, a byte no text holds, and half of a euro sign
    assert outgoing.ranks() == [3]
    first = outgoing.next_piece(3)
    assert len(first.data) == PIECE_BYTES and first.more
    outgoing.acknowledge(first, first.offset + len(first.data))
    second = outgoing.next_piece(3)
    assert second.data == b"x" * 10 + "\ufffdbin\ufffd".encode()  # the half character waits
    outgoing.acknowledge(second, second.offset + len(second.data))
    with open(path, "ab") as f:
        f.write(b"\xac\n")
    assert outgoing.next_piece(3).data == "\u20ac\n".encode()


def test_console_positions_survive_in_the_upload_state_and_damage_starts_afresh(tmp_path):
    state = UploadState("http://s", "p")
    state.consoles = {"0": {"shipped": 10, "inode": 5, "position": 10}, "x": {"shipped": 1},
                      "2": {"shipped": -1, "inode": 1, "position": 0}}
    save_state(str(tmp_path), state)
    assert read_state(str(tmp_path)).consoles == {"0": {"shipped": 10, "inode": 5, "position": 10, "head": ""}}
    state.retarget("http://other", "p")
    assert state.consoles == {}
