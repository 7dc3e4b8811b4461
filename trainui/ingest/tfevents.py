"""The TensorBoard source: a result directory's ``events.out.tfevents.*`` files (written by an
unchanged ``torch.utils.tensorboard.SummaryWriter`` script) read into the same batches as a `log`.

Scalars become log entries (tag -> key, step -> ``iteration``, wall time -> ``elapsed_time``
since the run's first event), images become the run's assets (their bytes kept in the database,
like a remote job's). Each file is read from its own byte offset, whole records only; files are
read in the order of their names (a restarted writer starts a newer one), so a run's events keep
their order. A record that fails its checksum or does not decode stops that file there and is
reported with its byte offset, as a damaged `log` is; a torn tail gets the log's grace.

The records are decoded with TensorBoard's own ``Event`` protobuf, imported only when a
directory holds event files: without the optional ``tensorboard`` extra the result says how to
install it. Nothing here imports torch.
"""
from __future__ import annotations

import os
import time

from ..protocol.logreader import FINGERPRINT_BYTES, fingerprint_of
from ..protocol.safe_io import open_regular
from ..store import EventsPart
from .tfrecord import masked_crc, read_records

TORN_TAIL_GRACE = 2.0  # as for a `log`: a record being written is not damage yet
NEEDS_TENSORBOARD = ("this result holds TensorBoard event files; reading them needs the tensorboard package: "
                     "pip install 'trainui[tensorboard]'")
MAX_TAG_CHARS = 255


def is_event_file(name: str) -> bool:
    """TensorBoard's own rule (``io_wrapper.IsTensorFlowEventsFile``), without our temporary files."""
    return "tfevents" in name and not name.startswith(".tmp-")


def event_file_names(directory: str) -> list[str]:
    """The event files of ``directory``, oldest first (their names start with the writer's start time)."""
    try:
        with os.scandir(directory) as entries:
            return sorted(e.name for e in entries if is_event_file(e.name) and _is_file(e))
    except OSError:
        return []


def signature(directory: str) -> tuple:
    """Sizes and modification times of the event files: the poller's "did anything change"."""
    out = []
    for name in event_file_names(directory):
        try:
            st = os.stat(os.path.join(directory, name))
            out.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            continue
    return tuple(out)


def read_events(directory: str, names: list[str], cursor: dict, max_bytes: int,
                root: str | None = None) -> tuple[EventsPart, float | None]:
    """What is new in the event files ``names`` since ``cursor`` (about ``max_bytes`` of them), and
    when to look again for a torn tail to be finished (None: no need)."""
    try:
        decoder = _Decoder()
        crc = masked_crc()
    except ImportError:  # the files are still listed (the run is known to be TensorBoard's), none is read
        files = {name: [0, "", 0] for name in names} | (cursor.get("files") or {})
        end = {"files": files, "start_time": cursor.get("start_time")}
        return EventsPart([], start=cursor, end=end, error=NEEDS_TENSORBOARD), None
    files = {name: list(at) for name, at in (cursor.get("files") or {}).items()}
    start_time = cursor.get("start_time")
    entries, images, problems, recheck_in, at_end = [], [], [], None, True
    budget = max_bytes
    for position, name in enumerate(names):
        offset, fingerprint, count = files.get(name, (0, "", 0))
        try:
            with open_regular(os.path.join(directory, name), root) as f:
                if offset and not _unchanged_before(f, offset, fingerprint):
                    return _read_again(directory, names, cursor, max_bytes, root)
                found = read_records(f, offset, budget, crc)
                if start_time is None and found.records and offset == 0:
                    start_time = decoder.wall_time(found.records[0][1])
                rows = decoder.decode(name, found.records, start_time or 0.0)
                end = rows.stopped_at if rows.stopped_at is not None else found.end
                files[name] = [end, fingerprint_of(_tail(f, end)), count + rows.events]
                mtime = os.fstat(f.fileno()).st_mtime
        except FileNotFoundError:
            continue  # deleted: what was read from it stays
        except OSError as error:
            problems.append(f"cannot read {name}: {error.strerror or error}")
            continue
        entries += rows.entries
        images += rows.images
        count += rows.events
        if rows.damage or found.damage:
            problems.append(f"{name} cannot be read past byte {end}: {rows.damage or found.damage} ({count} events "
                            f"read before it; nothing after that byte is shown)")
        elif found.torn:
            age = time.time() - mtime
            if age < TORN_TAIL_GRACE:
                recheck_in = TORN_TAIL_GRACE - age + 0.05  # most likely a writer in the middle of a record
            else:
                problems.append(f"{name} ends in an incomplete record at byte {end} ({count} events read before it)")
        elif not found.at_eof:
            at_end = False  # this file has more: the next turn goes on here, before any newer file
            break
        budget -= found.end - offset
        if budget <= 0 and position + 1 < len(names):
            at_end = False
            break
    end_cursor = {"files": files, "start_time": start_time}
    error = "; ".join(problems) or None
    return EventsPart(entries, start=cursor, end=end_cursor, images=images, at_end=at_end, error=error), recheck_in


def _read_again(directory: str, names: list[str], cursor: dict, max_bytes: int,
                root: str | None = None) -> tuple[EventsPart, float | None]:
    """An event file was replaced (shorter, or other bytes before where it was read to): the
    store drops what it holds for the result and every file is read again from its start."""
    part, recheck_in = read_events(directory, names, {}, max_bytes, root)
    part.start, part.reset = cursor, True
    return part, recheck_in


def _unchanged_before(f, offset: int, fingerprint: str) -> bool:
    size = os.fstat(f.fileno()).st_size
    return size >= offset and fingerprint_of(_tail(f, offset)) == fingerprint


def _tail(f, end: int) -> bytes:
    start = max(0, end - FINGERPRINT_BYTES)
    f.seek(start)
    return f.read(end - start)


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


class _Rows:
    def __init__(self):
        self.entries: list[dict] = []
        self.images: list[dict] = []
        self.events = 0  # records decoded (every kind of event counts)
        self.stopped_at: int | None = None  # the record that did not decode
        self.damage: str | None = None


class _Decoder:
    """Events -> entries and image records. Consecutive events of one step make one entry (a
    ``SummaryWriter`` writes one event per ``add_scalar``), until a tag repeats."""

    def __init__(self):
        from google.protobuf.message import DecodeError
        from tensorboard.compat.proto import event_pb2, types_pb2

        self._event = event_pb2.Event
        self._decode_error = DecodeError
        self._string = types_pb2.DT_STRING

    def wall_time(self, payload: bytes) -> float | None:
        try:
            return self._event.FromString(payload).wall_time
        except self._decode_error:
            return None

    def decode(self, name: str, records: list[tuple[int, bytes]], start_time: float) -> _Rows:
        rows = _Rows()
        entry: dict | None = None
        for offset, payload in records:
            try:
                event = self._event.FromString(payload)
            except self._decode_error as error:
                rows.stopped_at = offset
                rows.damage = f"the record at byte {offset} is not a TensorBoard event ({error or 'does not decode'})"
                break
            rows.events += 1
            if not event.HasField("summary"):
                continue  # the file version, a graph, a session log: nothing to chart
            for value in event.summary.value:
                tag = value.tag.replace("\x00", "")[:MAX_TAG_CHARS]
                scalar, pictures = self._value(value)
                if scalar is not None:
                    if entry is None or entry["iteration"] != event.step or tag in entry:
                        entry = {"iteration": event.step}
                        rows.entries.append(entry)
                    entry[tag] = scalar
                    entry["elapsed_time"] = event.wall_time - start_time
                for i, picture in enumerate(pictures):
                    rows.images.append({
                        "tag": tag if len(pictures) == 1 else f"{tag}/{i}"[:MAX_TAG_CHARS], "step": event.step,
                        "path": f"{name}@{offset}" + (f"#{i}" if len(pictures) > 1 else ""), "kind": "image",
                        "iteration": event.step, "epoch": None, "created_at": event.wall_time, "data": picture})
        return rows

    def _value(self, value) -> tuple[float | None, list[bytes]]:
        """A summary value's number, or its encoded images (histograms, audio, text: neither)."""
        kind = value.WhichOneof("value")
        if kind == "simple_value":
            return value.simple_value, []
        if kind == "image":
            return None, [value.image.encoded_image_string]
        if kind != "tensor":
            return None, []
        tensor = value.tensor
        if value.metadata.plugin_data.plugin_name == "images":
            return None, list(tensor.string_val[2:])  # width, height, then the images
        if tensor.tensor_shape.dim or tensor.dtype == self._string:
            return None, []
        from tensorboard.util import tensor_util

        try:
            return float(tensor_util.make_ndarray(tensor).item()), []
        except (ValueError, TypeError):
            return None, []
