#!/usr/bin/env python
"""Write ``qm9_5k.csv.gz``: a seeded random 5,000-molecule subset of QM9, from the qm9pack package.

    pip install qm9pack && python examples/gnn/data/make_qm9_subset.py

The bundled file lets the example (and its tests) run from a clone with no download; it keeps
qm9pack's column names and values as they are (only the columns the example reads), so the
same reader serves the subset and the full set. Rows are written in qm9pack's order and gzip's
time stamp is zero, so the file is the same byte for byte on every run.
"""
from __future__ import annotations

import csv
import gzip
import io
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from molgnn import data  # noqa: E402

SIZE = 5000
SEED = 0
COLUMNS = ["Index", "SMILES", "N_atoms", "Elements", "XYZ_Ang"] + [col for col, _, _ in data.QM9_TARGETS.values()]


def main() -> None:
    _, rows = data.read_rows(data.qm9pack_files())
    keep = sorted(random.Random(SEED).sample(range(len(rows)), SIZE))
    text = io.StringIO()
    writer = csv.DictWriter(text, COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows[i] for i in keep)
    path = data.BUNDLED["qm9"][0]
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
        f.write(text.getvalue().encode())
    print(f"wrote {path}: {SIZE} of {len(rows)} molecules, {os.path.getsize(path) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
