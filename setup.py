"""trainui: a local-first dashboard for PyTorch training that can steer running jobs."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def data_files_under(folder: str) -> list[str]:
    """Every file below ``folder``, relative to it, for package_data (the wheel carries them)."""
    root = HERE / folder
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


setup(
    name="trainui",
    version="0.1.0",
    description="Local-first web dashboard for PyTorch training that can steer running (distributed) jobs",
    long_description=(HERE / "README.md").read_text(encoding="utf-8") if (HERE / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["trainui", "trainui.*"]) + ["trainui.migrations", "trainui.frontend",
                                                                "trainui.examples"],
    package_dir={"trainui.migrations": "migrations", "trainui.frontend": "frontend", "trainui.examples": "examples"},
    package_data={
        "trainui.migrations": data_files_under("migrations"),
        "trainui.frontend": data_files_under("frontend"),
        # what `trainui demo` runs, and its data: the repository's one copy, carried by the wheel
        "trainui.examples": ["quickstart/train.py", "quickstart/README.md", "data/digits.csv.gz", "data/README.md"],
    },
    install_requires=[
        "flask>=3.0",
        "sqlalchemy>=2.0",
        "alembic>=1.12",
        "watchdog>=3.0",
        "waitress>=3.0",
        "click>=8.1",
        "numpy>=1.24",
        "orjson>=3.8",
        "plotly>=5.0",
    ],
    extras_require={
        "postgres": ["psycopg2-binary>=2.9"],
        # torch itself is not listed: install the build that fits your machine first (CPU/CUDA).
        # The quickstart (what `trainui demo` runs) and the attack network need only the base install.
        "examples": ["pillow>=9"],  # the attack network's --data DIR of image files
        "chem": ["rdkit>=2023.9"],  # the GNN example (molecule graphs, Tox21 conformers)
        "qm9": ["qm9pack>=1.0.3"],  # the GNN example's --data qm9-full: all 130,831 QM9 molecules, ~100 MB
        # a maintained attack library, to check the attack example's FGSM / I-FGSM / MI-FGSM against
        "attack-reference": ["adversarial-robustness-toolbox>=1.17"],
        "lightning": ["lightning>=2.2"],
        # result directories written by torch.utils.tensorboard.SummaryWriter (events.out.tfevents.*):
        # TensorBoard's Event protobuf decodes them; crc32c checks their records fast
        "tensorboard": ["tensorboard>=2.12", "crc32c>=2.3"],
        "transformers": ["transformers>=4.40", "accelerate>=1.1"],  # the Trainer needs accelerate
        "ignite": ["pytorch-ignite>=0.5"],
        "test": [
            "pytest>=8",
            "wheel>=0.40",  # the packaging test builds a wheel without build isolation
            "requests>=2.31",
            "playwright>=1.40",
            "psycopg2-binary>=2.9",
            "schemathesis>=3.19",
        ],
    },
    entry_points={"console_scripts": ["trainui=trainui.cli:main"]},
)
