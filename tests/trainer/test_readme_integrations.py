"""The README tour's step 4, run as written: each snippet (Hugging Face, Lightning, Ignite) is
executed with the names its text says the user has (a model, data, arguments) built tiny here, while
an lr change (``"mode": "hold"``) waits in the result's inbox. The snippet must log under the
framework's names, answer the change SUCCESS, and the optimizer must still hold the value at the end
of training, under the framework's own scheduler."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from trainui import protocol  # noqa: E402
from trainui_job_helpers import post_command, read_log, read_responses  # noqa: E402

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
STEP = "**4. With Hugging Face, Lightning or Ignite.**"
ASKED, CHANGE_AT = 0.0123, 10


def snippets() -> dict[str, str]:
    """The step's python blocks, by the framework their first comment names."""
    readme = (REPO / "README.md").read_text()
    start = readme.index(STEP)
    section = readme[start:readme.index("\n## ", start)]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    named = {block.split("\n", 1)[0].lstrip("# ").split(" (")[0]: block for block in blocks}
    assert set(named) == {"Hugging Face Transformers", "PyTorch Lightning", "PyTorch-Ignite"}, list(named)
    return named


def post_change(out: str) -> str:
    return post_command(out, "adjust_hyperparams", {"lr": ASKED, "mode": "hold"},
                        {"key": "iteration", "value": CHANGE_AT})


def start_job(tmp_path, monkeypatch, name: str):
    """The result directory, the change waiting in its inbox and a small seeded regression loader."""
    monkeypatch.chdir(tmp_path)
    out = str(tmp_path / "results" / name)
    uid = post_change(out)
    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
    return out, uid, torch.utils.data.DataLoader(data, batch_size=4)


def check_result(out: str, uid: str, loss_key: str) -> None:
    answer = read_responses(out)[uid]
    assert answer["status"] == "SUCCESS", answer
    assert answer["iteration"] == CHANGE_AT and answer["body"]["mode"] == "hold"
    assert "held over" in answer["body"]["changes"][0]["schedule"]  # the framework's scheduler was registered
    assert any(loss_key in entry for entry in read_log(out))
    assert protocol.read_json(os.path.join(out, protocol.STATUS))["status"] == "finished"


def test_the_hugging_face_snippet(tmp_path):
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    import tiny_models

    out = str(tmp_path / "results" / "hf")
    uid = post_change(out)
    names = {"model": tiny_models.tiny_gpt2(), "args": tiny_models.training_args(out, max_steps=30),
             "train_dataset": tiny_models.TokenDataset()}
    exec(snippets()["Hugging Face Transformers"], names)
    check_result(out, uid, "train/loss")
    assert names["trainer"].optimizer.param_groups[0]["lr"] == pytest.approx(ASKED)  # the linear decay did not undo it


def test_the_lightning_snippet(tmp_path, monkeypatch):
    pytest.importorskip("lightning.pytorch")
    from test_lightning import ScheduledRegression  # a LambdaLR stepped every batch

    out, uid, loader = start_job(tmp_path, monkeypatch, "lightning")
    names = {"module": ScheduledRegression(), "train_loader": loader}
    exec(snippets()["PyTorch Lightning"], names)
    check_result(out, uid, "main/loss")
    assert names["trainer"].global_step == 100
    assert names["trainer"].optimizers[0].param_groups[0]["lr"] == pytest.approx(ASKED)


def test_the_ignite_snippet(tmp_path, monkeypatch):
    pytest.importorskip("ignite")
    from ignite.engine import Events, create_supervised_trainer
    from ignite.handlers.param_scheduler import CosineAnnealingScheduler

    out, uid, loader = start_job(tmp_path, monkeypatch, "ignite")
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, optimizer, torch.nn.functional.mse_loss)
    scheduler = CosineAnnealingScheduler(optimizer, "lr", start_value=0.1, end_value=0.001, cycle_size=100)
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    names = {"trainer": trainer, "optimizer": optimizer, "scheduler": scheduler, "model": model,
             "train_loader": loader}
    exec(snippets()["PyTorch-Ignite"], names)
    check_result(out, uid, "train/loss")
    assert trainer.state.iteration == 80
    assert optimizer.param_groups[0]["lr"] == pytest.approx(ASKED)  # the cosine went on computing, unused
