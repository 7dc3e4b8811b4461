"""The log reader on its own: appends, Chainer-style rewrites, torn tails, garbage."""
import json

from trainui.protocol.logreader import read_chunk


def entries(n, start=0, loss=1.0):
    return [{"iteration": i, "main/loss": loss / (i + 1)} for i in range(start, start + n)]


def test_reads_only_what_was_appended(tmp_path):
    path = tmp_path / "log"
    path.write_text(json.dumps(entries(3), indent=4))
    first = read_chunk(str(path), 0, "")
    assert [e["iteration"] for e in first.entries] == [0, 1, 2]
    path.write_text(json.dumps(entries(5), indent=4))  # Chainer rewrites the whole file, extended
    second = read_chunk(str(path), first.end_offset, first.fingerprint)
    assert not second.reset
    assert [e["iteration"] for e in second.entries] == [3, 4]
    third = read_chunk(str(path), second.end_offset, second.fingerprint)
    assert third.entries == [] and third.stopped_at is None


def test_replaced_file_is_read_again_from_the_start(tmp_path):
    path = tmp_path / "log"
    path.write_text(json.dumps(entries(4)))
    first = read_chunk(str(path), 0, "")
    path.write_text(json.dumps(entries(4, loss=7.0)))  # same length, other content
    again = read_chunk(str(path), first.end_offset, first.fingerprint)
    assert again.reset and len(again.entries) == 4 and again.entries[1]["main/loss"] == 3.5
    path.write_text("[]")  # truncated
    assert read_chunk(str(path), again.end_offset, again.fingerprint).reset


def test_torn_tail_waits_for_the_rest(tmp_path):
    path = tmp_path / "log"
    path.write_text('[{"iteration": 0}, {"iteration": 1}, {"iteration": 2, "main/lo')
    chunk = read_chunk(str(path), 0, "")
    assert [e["iteration"] for e in chunk.entries] == [0, 1]
    assert chunk.stopped_at is not None
    path.write_text('[{"iteration": 0}, {"iteration": 1}, {"iteration": 2, "main/loss": 0.5}]')
    rest = read_chunk(str(path), chunk.end_offset, chunk.fingerprint)
    assert rest.entries == [{"iteration": 2, "main/loss": 0.5}] and rest.stopped_at is None


def test_torn_tail_inside_a_nested_value(tmp_path):
    path = tmp_path / "log"
    path.write_text('[{"iteration": 0, "m": {"a": 1}}, {"iteration": 1, "m": {"a": ')
    chunk = read_chunk(str(path), 0, "")
    assert [e["iteration"] for e in chunk.entries] == [0]


def test_garbage_stops_with_a_message_and_keeps_the_good_prefix(tmp_path):
    path = tmp_path / "log"
    path.write_bytes(b'[{"iteration": 0},\x00\xff\xfegarbage, {"iteration": 9}]')
    chunk = read_chunk(str(path), 0, "")
    assert chunk.entries == [{"iteration": 0}]
    assert "invalid JSON" in chunk.error


def test_not_an_array_and_empty(tmp_path):
    path = tmp_path / "log"
    path.write_text('{"iteration": 0}')
    assert read_chunk(str(path), 0, "").error == "log is not a JSON array"
    path.write_text("")
    empty = read_chunk(str(path), 0, "")
    assert empty.entries == [] and empty.error is None


def test_non_finite_and_odd_values_parse(tmp_path):
    path = tmp_path / "log"
    path.write_text('[{"a": NaN, "b": Infinity, "c": -Infinity, "d": "text", "e": {"x": 1}, "f": [1, 2]}]')
    (entry,) = read_chunk(str(path), 0, "").entries
    assert entry["d"] == "text" and entry["b"] == float("inf")


def test_chunks_bound_memory_and_cover_everything(tmp_path):
    path = tmp_path / "log"
    path.write_text(json.dumps(entries(5000)))
    offset, fingerprint, seen = 0, "", []
    while True:
        chunk = read_chunk(str(path), offset, fingerprint, max_bytes=4096)
        seen += [e["iteration"] for e in chunk.entries]
        offset, fingerprint = chunk.end_offset, chunk.fingerprint
        if chunk.at_eof:
            break
    assert seen == list(range(5000))
