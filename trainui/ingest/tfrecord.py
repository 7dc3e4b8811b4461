"""TFRecord framing, read incrementally from a byte offset: the container of TensorBoard event files.

Each record is ``length`` (uint64, little-endian), the masked CRC-32C of those 8 bytes, ``length``
bytes of data (a serialized ``Event``), and the masked CRC-32C of the data. TensorBoard's own
readers keep their position inside an open iterator and swallow a bad record; here the position
must survive the process (it is committed with the data), and a bad record must be reported with
its byte offset, so the framing is walked here and the checksum comes from a maintained package:
``crc32c`` (hardware-accelerated) when installed, else TensorBoard's own ``masked_crc32c``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

HEADER_BYTES = 12  # length + its CRC
FOOTER_BYTES = 4  # the data's CRC
_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8


@dataclass
class Records:
    """What one read found: whole records from ``start`` on, and why it stopped before the end."""

    start: int
    end: int  # the byte just past the last whole, checked record
    records: list[tuple[int, bytes]] = field(default_factory=list)  # (offset of the record, its data)
    size: int = 0  # the file's size when read
    torn: bool = False  # the file ends inside a record at ``end``: a writer may be finishing it
    damage: str | None = None  # the record at ``end`` is not a record: why (a bad checksum, a bad length)

    @property
    def at_eof(self) -> bool:
        return self.end >= self.size or self.torn or self.damage is not None


def masked_crc():
    """The masked CRC-32C function of the TFRecord format; ImportError when no package provides it."""
    try:
        from crc32c import crc32c
    except ImportError:
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

        return masked_crc32c

    def masked(data: bytes) -> int:
        crc = crc32c(data)
        return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF

    return masked


def read_records(f, start: int, max_bytes: int, crc=None) -> Records:
    """Whole records of the open binary file ``f`` from ``start``, about ``max_bytes`` of them (a
    record larger than that is still read whole). Never raises on content: a torn tail or damage
    ends the read at the record where it is."""
    crc = crc or masked_crc()
    f.seek(0, 2)
    size = f.tell()
    out = Records(start=start, end=start, size=size)
    f.seek(start)
    data = f.read(max_bytes)
    base, pos = start, 0  # data[pos] is the file's byte base + pos
    while base + pos < size:
        offset = base + pos
        if size - offset < HEADER_BYTES:
            out.torn = True
            break
        if len(data) - pos < HEADER_BYTES:
            if out.records:
                break  # the chunk ends here: the rest comes next turn
            data, pos, base = _more(f, data, pos, base, HEADER_BYTES)
            if len(data) < HEADER_BYTES:
                out.torn = True  # the file shrank while being read
                break
        header = data[pos:pos + 8]
        (length,), (header_crc,) = _LENGTH.unpack(header), _CRC.unpack_from(data, pos + 8)
        if crc(header) != header_crc:
            out.damage = f"the record header at byte {offset} fails its checksum (not a record: damaged or foreign data)"
            break
        whole = HEADER_BYTES + length + FOOTER_BYTES
        if offset + whole > size:
            out.torn = True
            break
        if len(data) - pos < whole:
            if out.records:
                break
            data, pos, base = _more(f, data, pos, base, whole)  # one record larger than a chunk
            if len(data) < whole:
                out.torn = True  # the file shrank while being read
                break
        payload = data[pos + HEADER_BYTES:pos + HEADER_BYTES + length]
        (data_crc,) = _CRC.unpack_from(data, pos + HEADER_BYTES + length)
        if crc(payload) != data_crc:
            out.damage = f"the record at byte {offset} fails its data checksum (damaged)"
            break
        out.records.append((offset, payload))
        pos += whole
        out.end = base + pos
    return out


def _more(f, data: bytes, pos: int, base: int, need: int) -> tuple[bytes, int, int]:
    """Keep the unread bytes and read on until ``need`` of them are there (or the file ends)."""
    rest = data[pos:]
    f.seek(base + len(data))
    while len(rest) < need:
        more = f.read(max(need - len(rest), 1 << 16))
        if not more:
            break
        rest += more
    return rest, 0, base + pos
