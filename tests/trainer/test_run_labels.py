"""``trainui.Run(tags=..., notes=...)`` and ``run.write_labels``: what the job writes to
``.trainui/labels.json``, checked before anything is written."""
from __future__ import annotations

import json

import pytest

from trainui import Run, protocol


def open_run(out, **labels):
    return Run(str(out), progress=False, handle_signals=False, console=False, **labels)


def labels_file(run):
    with open(f"{run.out}/{protocol.LABELS}") as f:
        return json.load(f)


def test_the_labels_given_are_written_and_later_changes_keep_the_other_one(tmp_path):
    run = open_run(tmp_path / "run", tags=["a", "b", "a"], notes="# N")
    assert labels_file(run) == {"tags": ["a", "b"], "notes": "# N"}  # a repeated tag counts once
    run.write_labels(tags=["c"])
    assert labels_file(run) == {"tags": ["c"], "notes": "# N"}
    run.write_labels(notes="")
    assert labels_file(run) == {"tags": ["c"], "notes": ""}
    run.close()


def test_a_run_without_labels_writes_no_labels_file(tmp_path):
    run = open_run(tmp_path / "run")
    run.log({"x": 1}, iteration=1)
    run.close()
    assert not (tmp_path / "run" / protocol.LABELS).exists()


@pytest.mark.parametrize("labels, message", [
    ({"tags": ["two words"]}, "not a tag"),
    ({"tags": "baseline"}, "list of strings"),
    ({"tags": [f"t{i}" for i in range(protocol.MAX_TAGS + 1)]}, f"at most {protocol.MAX_TAGS} tags"),
    ({"tags": ["x" * (protocol.MAX_TAG_LENGTH + 1)]}, "not a tag"),
    ({"notes": "x" * (protocol.MAX_NOTES_CHARS + 1)}, "at most"),
    ({"notes": 3}, "must be a string"),
])
def test_bad_labels_are_refused_before_anything_is_written(tmp_path, labels, message):
    with pytest.raises(ValueError, match=message):
        open_run(tmp_path / "run", **labels)
    assert not (tmp_path / "run").exists()
    run = open_run(tmp_path / "other", tags=["ok"])
    with pytest.raises(ValueError, match=message):
        run.write_labels(**labels)
    assert labels_file(run) == {"tags": ["ok"]}  # the file keeps what it held
    run.close()
