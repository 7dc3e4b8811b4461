"""The data files that ship with the examples are what their READMEs say they are."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "examples" / "data" / "digits.csv.gz"
GNN_DATA = REPO / "examples" / "gnn" / "data"


def test_bundled_digits_equal_scikit_learns_copy():
    datasets = pytest.importorskip("sklearn.datasets")
    table = np.loadtxt(DIGITS, delimiter=",")
    digits = datasets.load_digits()
    assert table.shape == (1797, 65)
    np.testing.assert_array_equal(table[:, :64], digits.data)
    np.testing.assert_array_equal(table[:, 64], digits.target)


def test_shipped_data_stay_small_and_documented():
    files = [DIGITS, *sorted(GNN_DATA.glob("*.csv.gz"))]
    assert sum(f.stat().st_size for f in files) < 3_000_000  # a few MB at most in all
    documented = (REPO / "examples" / "data" / "README.md").read_text() + (GNN_DATA / "README.md").read_text()
    for f in files:
        assert f"`{f.name}`" in documented, f.name
        assert "licence" in documented.lower()


def test_bundled_qm9_subset_has_the_documented_size():
    with gzip.open(GNN_DATA / "qm9_5k.csv.gz", "rt") as f:
        assert sum(1 for _ in f) == 5000 + 1  # header
