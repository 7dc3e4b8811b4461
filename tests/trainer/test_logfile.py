"""The ``log`` file stays a valid JSON array after every flush and is appended in O(1)."""
from __future__ import annotations

import json
import math
import os

import pytest

from trainui.trainer import logfile
from trainui.trainer.logfile import LogWriter


def read(path):
    with open(path) as f:
        return json.load(f)


def test_valid_json_array_after_every_flush(tmp_path):
    path = str(tmp_path / "log")
    writer = LogWriter(path, flush_every=3, flush_interval=3600)
    assert read(path) == []
    for i in range(1, 20):
        writer.append({"iteration": i, "main/loss": 1.0 / i, "note": "é,]\n"})
        if i % 3 == 0:  # flushed by the step policy: the file is a complete array
            entries = read(path)
            assert [e["iteration"] for e in entries] == list(range(1, i + 1))
    writer.close()
    assert [e["iteration"] for e in read(path)] == list(range(1, 20))
    assert read(path)[0]["note"] == "é,]\n"


def test_time_policy_flushes_without_more_reports(tmp_path):
    path = str(tmp_path / "log")
    writer = LogWriter(path, flush_every=1000, flush_interval=0.0)
    writer.append({"iteration": 1})
    assert read(path) == [{"iteration": 1}]  # interval elapsed: flushed on the report itself
    writer.close()


def test_non_finite_values_are_spelled_so_strict_json_holds_them_and_trainui_reads_them_back(tmp_path):
    from trainui.store.series.entries import to_columns

    path = str(tmp_path / "log")
    writer = LogWriter(path, flush_every=1)
    writer.append({"iteration": 1, "a": math.nan, "b": math.inf, "c": -math.inf, "d": {"x": math.nan}})
    writer.close()
    assert json.loads(open(path).read()) == [  # strict JSON: no NaN literal
        {"iteration": 1, "a": "NaN", "b": "Infinity", "c": "-Infinity", "d": {"x": None}}]
    points = to_columns(read(path), 0).points  # what ingestion stores: the numbers they were
    assert math.isnan(points["a"][1][0]) and points["b"][1] == [math.inf] and points["c"][1] == [-math.inf]


def test_each_flush_writes_only_the_new_bytes_at_the_tail(tmp_path, monkeypatch):
    """O(1) per report: a flush is one pwrite of the new entries over the closing bracket."""
    path = str(tmp_path / "log")
    writer = LogWriter(path, flush_every=1)
    for i in range(2000):
        writer.append({"iteration": i, "main/loss": 0.5})
    writes = []
    real_pwrite = os.pwrite

    def spy(fd, data, offset):
        writes.append((len(data), offset))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(logfile.os, "pwrite", spy)
    size_before = os.path.getsize(path)
    entry = {"iteration": 2000, "main/loss": 0.5}
    writer.append(entry)
    writer.close()
    expected = len(",\n" + json.dumps(entry, separators=(",", ":")) + "\n]")
    assert writes == [(expected, size_before - 2)]
    assert os.path.getsize(path) == size_before + expected - 2
    assert len(read(path)) == 2001


def test_torn_tail_is_cut_and_appending_goes_on(tmp_path):
    path = str(tmp_path / "log")
    writer = LogWriter(path, flush_every=1)
    for i in range(1, 4):
        writer.append({"iteration": i})
    writer.close()
    with open(path, "rb+") as f:  # a process killed mid-write: half an entry, no bracket
        f.seek(-2, os.SEEK_END)
        f.write(b',\n{"iteration":4,"main/lo')
    with pytest.raises(ValueError):
        read(path)
    writer = LogWriter(path, flush_every=1)
    assert writer.entry_count == 3 and writer.resume_ceiling == 3
    assert [e["iteration"] for e in read(path)] == [1, 2, 3]
    writer.append({"iteration": 4})
    writer.close()
    assert [e["iteration"] for e in read(path)] == [1, 2, 3, 4]


def test_chainer_style_log_is_continued(tmp_path):
    path = tmp_path / "log"
    path.write_text(json.dumps([{"iteration": 10, "epoch": 1}, {"iteration": 20, "epoch": 2}], indent=4))
    writer = LogWriter(str(path), flush_every=1)
    writer.append({"iteration": 30, "epoch": 3})
    writer.close()
    assert [e["iteration"] for e in read(path)] == [10, 20, 30]


def test_garbage_or_empty_file_starts_a_new_array(tmp_path):
    for content in (b"", b"not json", b"[", b"[]", b"{}"):
        path = tmp_path / "log"
        path.write_bytes(content)
        writer = LogWriter(str(path), flush_every=1)
        writer.append({"iteration": 1})
        writer.close()
        assert read(path) == [{"iteration": 1}], content
