"""Read QM9 (qm9pack CSV) and Tox21 (MoleculeNet CSV), featurize every molecule once, cache it.

Only the standard library reads the CSV (pandas is not required). The cache is one pickle per
(input files, featurizer version, geometry source); featurizing the 10k QM9 subset takes seconds,
the full 130k set a few minutes, Tox21 conformers (SchNet only) a few minutes.
"""
from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import json
import math
import os
import pickle
from dataclasses import dataclass

import numpy as np

from . import featurize

FEATURIZER_VERSION = 2
HARTREE_EV = 27.211386

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


def _float_or_nan(text: str) -> float:
    return float(text) if text not in ("", None) else math.nan


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
            elements = ast.literal_eval(row["Elements"])
            record.update(featurize.geometry_from_qm9(elements, json.loads(row["XYZ_Ang"])))
        records.append(record)
        labels.append([float(row[col]) * factor for col, factor, _ in QM9_TARGETS.values()])
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


def _cache_path(cache_dir: str, paths: list[str], geometry: bool) -> str:
    key = hashlib.sha256()
    for p in sorted(os.path.abspath(p) for p in paths):
        st = os.stat(p)
        key.update(f"{p}|{st.st_size}|{st.st_mtime_ns}".encode())
    key.update(f"v{FEATURIZER_VERSION}|geometry={geometry}".encode())
    return os.path.join(cache_dir, f"molecules-{key.hexdigest()[:16]}.pkl")


def load(paths: list[str], *, geometry: bool = False, cache_dir: str | None = None,
         seed: int = 0) -> MoleculeSet:
    """Load and featurize; `geometry` asks for RDKit conformers where the CSV has none."""
    kind = detect_kind(read_rows_header(paths[0]))
    geometry = geometry and kind != "qm9"  # QM9 always carries its own geometry
    cache = _cache_path(cache_dir, paths, geometry) if cache_dir else None
    if cache and os.path.exists(cache):
        with open(cache, "rb") as f:
            return pickle.load(f)
    header, rows = read_rows(paths)
    dataset = _featurize_qm9(rows) if kind == "qm9" else _featurize_tox21(rows, header, geometry, seed)
    if cache:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = f"{cache}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump(dataset, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)  # concurrent ranks may race to write the same cache
    return dataset
