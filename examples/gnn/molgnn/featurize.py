"""Turn one molecule into small numpy arrays that the collate function pads into a batch.

Graph models (NFP, GGNN, WeaveNet) see heavy atoms only, as Chainer Chemistry did; SchNet sees
every atom with its 3D position. Arrays are stored compactly (int8 matrices) because the whole
dataset is featurized once and cached.
"""
from __future__ import annotations

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem

RDLogger.DisableLog("rdApp.*")  # Tox21 has a few unparsable SMILES; we count them instead

ELEMENTS = ("C", "N", "O", "F", "S", "Cl", "Br", "I", "P", "B", "Si")
HYBRIDIZATIONS = (
    Chem.rdchem.HybridizationType.SP,
    Chem.rdchem.HybridizationType.SP2,
    Chem.rdchem.HybridizationType.SP3,
    Chem.rdchem.HybridizationType.SP3D,
    Chem.rdchem.HybridizationType.SP3D2,
)
BOND_TYPES = {  # 0 means "no bond"
    Chem.rdchem.BondType.SINGLE: 1,
    Chem.rdchem.BondType.DOUBLE: 2,
    Chem.rdchem.BondType.TRIPLE: 3,
    Chem.rdchem.BondType.AROMATIC: 4,
}
NUM_BOND_TYPES = 4
MAX_DEGREE = 5
ATOM_FEATURES = len(ELEMENTS) + 1 + (MAX_DEGREE + 1) + 5 + 3 + len(HYBRIDIZATIONS) + 2
MAX_TOPOLOGICAL_DISTANCE = 127  # int8 storage; disconnected fragments get this value
PERIODIC = Chem.GetPeriodicTable()


def _one_hot(value, choices) -> list[float]:
    """One-hot with a trailing 'other' slot folded into the last position."""
    out = [0.0] * len(choices)
    out[choices.index(value) if value in choices else len(choices) - 1] = 1.0
    return out


def atom_features(atom: Chem.Atom) -> list[float]:
    symbol = atom.GetSymbol()
    element = [0.0] * (len(ELEMENTS) + 1)
    element[ELEMENTS.index(symbol) if symbol in ELEMENTS else len(ELEMENTS)] = 1.0
    return (
        element
        + _one_hot(min(atom.GetDegree(), MAX_DEGREE), tuple(range(MAX_DEGREE + 1)))
        + _one_hot(min(atom.GetTotalNumHs(), 4), (0, 1, 2, 3, 4))
        + _one_hot(max(-1, min(1, atom.GetFormalCharge())), (-1, 0, 1))
        + [1.0 if atom.GetHybridization() == h else 0.0 for h in HYBRIDIZATIONS]
        + [float(atom.GetIsAromatic()), float(atom.IsInRing())]
    )


def parse_smiles(smiles: str) -> Chem.Mol | None:
    return Chem.MolFromSmiles(smiles) if smiles else None


def graph_arrays(mol: Chem.Mol) -> dict[str, np.ndarray]:
    """Heavy-atom graph: atom features, bond-type matrix and topological distance matrix."""
    n = mol.GetNumAtoms()
    atoms = np.array([atom_features(a) for a in mol.GetAtoms()], dtype=np.float32).reshape(n, ATOM_FEATURES)
    bonds = np.zeros((n, n), dtype=np.int8)
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        bonds[i, j] = bonds[j, i] = BOND_TYPES.get(bond.GetBondType(), 1)
    distance = Chem.GetDistanceMatrix(mol)
    distance = np.minimum(distance, MAX_TOPOLOGICAL_DISTANCE).astype(np.int8)
    return {"atoms": atoms, "bonds": bonds, "distance": distance}


def geometry_from_qm9(elements: list[str], xyz: list[list[float]]) -> dict[str, np.ndarray]:
    """All atoms (hydrogens included) with the DFT-relaxed positions from the QM9 CSV."""
    z = np.array([PERIODIC.GetAtomicNumber(e) for e in elements], dtype=np.int64)
    return {"z": z, "pos": np.asarray(xyz, dtype=np.float32).reshape(len(z), 3)}


def geometry_from_rdkit(mol: Chem.Mol, seed: int = 0) -> dict[str, np.ndarray] | None:
    """Heavy atoms at a force-field conformer, for datasets without geometry (Tox21).

    Embedded with hydrogens (the geometry needs them), which are then dropped: SchNet's dense
    pair tensors grow with the square of the atom count. None if no conformer can be made.
    Slow (tens of milliseconds per molecule), which is why featurized data is cached.
    """
    with_h = Chem.AddHs(mol)
    if AllChem.EmbedMolecule(with_h, randomSeed=seed, maxAttempts=5) != 0 and \
            AllChem.EmbedMolecule(with_h, randomSeed=seed, useRandomCoords=True, maxAttempts=5) != 0:
        return None
    try:
        AllChem.MMFFOptimizeMolecule(with_h, maxIters=200)
    except Exception:  # noqa: BLE001 - no force-field parameters: keep the embedded geometry
        pass
    heavy = [a.GetIdx() for a in with_h.GetAtoms() if a.GetAtomicNum() > 1] or [0]
    z = np.array([with_h.GetAtomWithIdx(i).GetAtomicNum() for i in heavy], dtype=np.int64)
    pos = with_h.GetConformer().GetPositions()[heavy].astype(np.float32)
    return {"z": z, "pos": pos}
