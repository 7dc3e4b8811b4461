"""Read QM9 (qm9pack CSV) and Tox21 (MoleculeNet CSV), featurize every molecule once, cache it.

``--data`` names a source: ``qm9`` and ``tox21`` are the small licensed files in ``examples/gnn/data``
(a seeded 5,000-molecule QM9 subset and the whole MoleculeNet Tox21), ``qm9-full`` is the whole
QM9 (130,831 molecules) from the PyPI package ``qm9pack``, read by path; anything else is read
as CSV paths. Only the standard library reads the CSV (pandas is not required), and the numbers
inside qm9pack's text columns are read with a regular expression rather than as JSON, because
a few rows write coordinates like ``0.``, which JSON rejects. The cache is one pickle per
(input files, subset, featurizer version, geometry source).
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import math
import os
import pickle
import re
from dataclasses import dataclass

import numpy as np

from . import featurize

FEATURIZER_VERSION = 3
HARTREE_EV = 27.211386
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
BUNDLED = {
    "qm9": [os.path.join(DATA_DIR, "qm9_5k.csv.gz")],
    "tox21": [os.path.join(DATA_DIR, "tox21.csv.gz")],
}
QM9_FULL = "qm9-full"
QM9_FULL_MOLECULES = 130831
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
ELEMENT = re.compile(r"[A-Z][a-z]?")

# Short target name -> (qm9pack column, factor to the reported unit, reported unit).
QM9_TARGETS = {
    "mu": ("Dipole_debye", 1.0, "D"),
    "alpha": ("Polarizability_bohr3", 1.0, "bohr3"),
    "homo": ("HOMO_au", HARTREE_EV, "eV"),
    "lumo": ("LUMO_au", HARTREE_EV, "eV"),
    "gap": ("HOMO_LUMO_gap_au", HARTREE_EV, "eV"),
    "r2": ("R2_bohr2", 1.0, "bohr2"),
    "zpve": ("ZPVE_au", HARTREE_EV, "eV"),
    "u0": ("InternalEnergy_0K_au", HARTREE_EV, "eV"),
    "u": ("InternalEnergy_298K_au", HARTREE_EV, "eV"),
    "h": ("Enthalphy_298K_au", HARTREE_EV, "eV"),
    "g": ("GibbsFreeEnergy_298K_au", HARTREE_EV, "eV"),
    "cv": ("Heatcapacity_Cv_cal_mol_K", 1.0, "cal_molK"),
}


@dataclass
class MoleculeSet:
    """Featurized molecules and their labels (NaN = missing label)."""

    kind: str  # "qm9" (regression) or "tox21" (binary classification)
    records: list[dict]  # per molecule: atoms, bonds, distance and optionally z, pos
    labels: np.ndarray  # [molecules, targets] float32, in reported units
    target_names: list[str]
    units: list[str]
    skipped: int = 0  # rows whose SMILES RDKit could not parse (or no conformer)

    @property
    def regression(self) -> bool:
        return self.kind == "qm9"

    def select_targets(self, names: list[str]) -> "MoleculeSet":
        unknown = [n for n in names if n not in self.target_names]
        if unknown:
            raise ValueError(f"unknown targets {unknown}; choose from {self.target_names}")
        cols = [self.target_names.index(n) for n in names]
        return MoleculeSet(self.kind, self.records, self.labels[:, cols], list(names),
                           [self.units[c] for c in cols], self.skipped)


def resolve_sources(names: list[str]) -> list[str]:
    """CSV paths for ``--data``: a bundled name, ``qm9-full`` (the qm9pack package), or paths as given."""
    if len(names) == 1 and names[0] in BUNDLED:
        return list(BUNDLED[names[0]])
    if len(names) == 1 and names[0] == QM9_FULL:
        return qm9pack_files()
    missing = [n for n in names if not os.path.exists(n)]
    if missing:
        raise SystemExit(f"--data: {missing[0]!r} is neither a file nor one of "
                         f"{', '.join([*BUNDLED, QM9_FULL])}")
    return list(names)


def qm9pack_files() -> list[str]:
    """The three CSV files of the PyPI package qm9pack (all of QM9), found without importing it.

    ``import qm9pack`` needs pandas and ``pkg_resources``; the files alone need neither.
    """
    spec = importlib.util.find_spec("qm9pack")
    if spec is None or not spec.origin:
        raise SystemExit("--data qm9-full needs the qm9pack package: pip install -e '.[qm9]' (about 100 MB)")
    folder = os.path.join(os.path.dirname(spec.origin), "data")
    paths = [os.path.join(folder, f"qm9_part{i}.csv") for i in (1, 2, 3)]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise SystemExit(f"qm9pack is installed but {missing[0]} is missing; reinstall it")
    return paths


def parse_numbers(text: str) -> list[float]:
    """Every number in a text such as ``[[0.5995,0.,1.],[...]]``; tolerant of ``0.`` and ``1e-05``."""
    return [float(n) for n in NUMBER.findall(text)]


def parse_elements(text: str) -> list[str]:
    """``['C','H','H']`` -> ["C", "H", "H"], whatever the quoting."""
    return ELEMENT.findall(text)


def _open_text(path: str):
    return gzip.open(path, "rt", newline="") if path.endswith(".gz") else open(path, newline="")


def read_rows(paths: list[str]) -> tuple[list[str], list[dict]]:
    rows: list[dict] = []
    header: list[str] = []
    for path in paths:
        with _open_text(path) as f:
            reader = csv.DictReader(f)
            header = header or list(reader.fieldnames or [])
            rows.extend(reader)
    return header, rows


def read_rows_header(path: str) -> list[str]:
    with _open_text(path) as f:
        return next(csv.reader(f))


def detect_kind(header: list[str]) -> str:
    if "SMILES" in header and "HOMO_au" in header:
        return "qm9"
    if "smiles" in header:
        return "tox21"
    raise ValueError(f"unrecognised CSV columns {header[:6]}...: expected qm9pack or MoleculeNet Tox21")


def _float_or_nan(text: str | None) -> float:
    """A label: blank or unreadable cells are missing (NaN), never a crash halfway through QM9."""
    try:
        return float(text) if text not in ("", None) else math.nan
    except ValueError:
        return math.nan


def _featurize_qm9(rows: list[dict]) -> MoleculeSet:
    names = list(QM9_TARGETS)
    records, labels, skipped = [], [], 0
    for row in rows:
        mol = featurize.parse_smiles(row["SMILES"])
        if mol is None:
            skipped += 1
            continue
        record = featurize.graph_arrays(mol)
        if row.get("XYZ_Ang"):
            elements = parse_elements(row["Elements"])
            xyz = parse_numbers(row["XYZ_Ang"])
            if len(xyz) != 3 * len(elements):
                skipped += 1
                continue
            record.update(featurize.geometry_from_qm9(elements, xyz))
        records.append(record)
        labels.append([_float_or_nan(row[col]) * factor for col, factor, _ in QM9_TARGETS.values()])
    return MoleculeSet("qm9", records, np.asarray(labels, dtype=np.float32), names,
                       [unit for _, _, unit in QM9_TARGETS.values()], skipped)


def _featurize_tox21(rows: list[dict], header: list[str], geometry: bool, seed: int) -> MoleculeSet:
    names = [c for c in header if c != "smiles" and c != "mol_id"]
    records, labels, skipped = [], [], 0
    for row in rows:
        mol = featurize.parse_smiles(row["smiles"])
        if mol is None or mol.GetNumAtoms() == 0:
            skipped += 1
            continue
        record = featurize.graph_arrays(mol)
        if geometry:
            geo = featurize.geometry_from_rdkit(mol, seed)
            if geo is None:
                skipped += 1
                continue
            record.update(geo)
        records.append(record)
        labels.append([_float_or_nan(row[c]) for c in names])
    return MoleculeSet("tox21", records, np.asarray(labels, dtype=np.float32), names,
                       ["auc"] * len(names), skipped)


def _cache_path(cache_dir: str, paths: list[str], geometry: bool, limit: int, seed: int) -> str:
    key = hashlib.sha256()
    for p in sorted(os.path.abspath(p) for p in paths):
        st = os.stat(p)
        key.update(f"{p}|{st.st_size}|{st.st_mtime_ns}".encode())
    key.update(f"v{FEATURIZER_VERSION}|geometry={geometry}|limit={limit}|seed={seed if limit else ''}".encode())
    return os.path.join(cache_dir, f"molecules-{key.hexdigest()[:16]}.pkl")


def detect_kind_of(paths: list[str]) -> str:
    return detect_kind(read_rows_header(paths[0]))


def load(paths: list[str], *, geometry: bool = False, cache_dir: str | None = None,
         seed: int = 0, limit: int = 0) -> MoleculeSet:
    """Load and featurize; `geometry` asks for RDKit conformers where the CSV has none.

    ``limit`` keeps a seeded random subset of the rows *before* featurizing, so a smoke run
    on Tox21 with SchNet does not make conformers for thousands of molecules it never sees.
    """
    kind = detect_kind_of(paths)
    geometry = geometry and kind != "qm9"  # QM9 always carries its own geometry
    cache = _cache_path(cache_dir, paths, geometry, limit, seed) if cache_dir else None
    if cache and os.path.exists(cache):
        with open(cache, "rb") as f:
            return pickle.load(f)
    header, rows = read_rows(paths)
    if limit and limit < len(rows):
        keep = np.sort(np.random.default_rng(seed).permutation(len(rows))[:limit])
        rows = [rows[i] for i in keep]
    dataset = _featurize_qm9(rows) if kind == "qm9" else _featurize_tox21(rows, header, geometry, seed)
    if cache:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = f"{cache}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump(dataset, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)  # concurrent ranks may race to write the same cache
    return dataset
