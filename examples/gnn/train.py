#!/usr/bin/env python
"""Train NFP, GGNN, WeaveNet or SchNet on QM9 (regression) or Tox21 (12 toxicity tasks).

    python examples/gnn/train.py --model ggnn --data qm9 --targets homo,lumo,gap
    python examples/gnn/train.py --model nfp --data tox21 --smoke
    torchrun --standalone --nproc_per_node=2 examples/gnn/train.py --model nfp --data qm9 --smoke

``--data qm9`` and ``--data tox21`` are small files in ``examples/gnn/data``; ``--data qm9-full`` is
all of QM9 from the qm9pack package; CSV paths work too. Results go to ``results/gnn/<data>_<model>``
unless ``--out`` says otherwise. Each epoch is one trainui report: train and validation loss, MAE per target (QM9, in eV for
energies) or ROC-AUC (Tox21), lr and molecules/s. Commands from the UI (snapshot, lr, stop, and
`evaluate`) are applied through `run.step()` after every iteration.
"""
from __future__ import annotations

import argparse
import gc
import os
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

import trainui
from molgnn import batching, data, metrics, models, presets


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=models.MODELS, default="nfp")
    p.add_argument("--data", required=True, nargs="+",
                   help="qm9 or tox21 (bundled subsets), qm9-full (the qm9pack package), or QM9/Tox21 CSV path(s)")
    p.add_argument("--targets", default=None,
                   help="comma-separated: QM9 " + ",".join(data.QM9_TARGETS) + " (default homo); Tox21 tasks (default all)")
    p.add_argument("--out", default=None, help="result directory (default results/gnn/<data>_<model>)")
    p.add_argument("--cache", default=os.path.join("results", ".cache", "gnn"),
                   help="directory for featurized molecules ('' disables)")
    p.add_argument("--smoke", action="store_true", help="small, fast preset (about a minute on 2 cores)")
    p.add_argument("--seed", type=int, default=0)
    for name, kind in (("hidden", int), ("layers", int), ("batch-size", int), ("epochs", int),
                       ("lr", float), ("limit", int)):
        p.add_argument(f"--{name}", type=kind, default=None, help="overrides the preset")
    p.add_argument("--threads", type=int, default=1,
                   help="torch intra-op threads per process; these models are small enough that extra "
                        "threads cost more than they give (use torchrun processes for more cores)")
    p.add_argument("--snapshot-at-end", action="store_true")
    p.add_argument("--resume", default=None,
                   help="snapshot to continue from ('auto': the latest one in --out)")
    args = p.parse_args(argv)
    if args.out is None:
        source = args.data[0] if len(args.data) == 1 and not os.path.exists(args.data[0]) else "csv"
        args.out = os.path.join("results", "gnn", f"{source}_{args.model}{'_smoke' if args.smoke else ''}")
    return args


def init_distributed() -> tuple[int, int]:
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def load_dataset(args, paths: list[str], limit: int, rank: int) -> data.MoleculeSet:
    """Rank 0 featurizes and fills the cache first so other ranks only read it."""
    geometry = models.uses_geometry(args.model)
    if dist.is_initialized() and rank != 0:
        dist.barrier()
    dataset = data.load(paths, geometry=geometry, cache_dir=args.cache or None, seed=args.seed, limit=limit)
    if dist.is_initialized() and rank == 0:
        dist.barrier()
    names = args.targets.split(",") if args.targets else (["homo"] if dataset.regression else dataset.target_names)
    return dataset.select_targets(names)


@torch.no_grad()
def predict(model, dataset, indices, standardizer, geometry, batch_size, rank, world):
    """Predictions for `indices` (in reported units), evaluated in shards and gathered on every rank."""
    model.eval()
    mine = batching.shard(indices, rank, world, epoch_seed=None)
    mine = mine[np.argsort([len(dataset.records[i]["atoms"]) for i in mine], kind="stable")]
    outputs = [model(batching.collate(dataset, idx, standardizer, geometry)).numpy()
               for idx in batching.batches(mine, batch_size)]
    pred = np.concatenate(outputs) if outputs else np.zeros((0, dataset.labels.shape[1]), np.float32)
    model.train()
    if world > 1:
        gathered = [None] * world
        dist.all_gather_object(gathered, (mine, pred))
        mine = np.concatenate([g[0] for g in gathered])
        pred = np.concatenate([g[1] for g in gathered])
    return mine, pred


def evaluate(model, dataset, indices, standardizer, geometry, batch_size, rank, world, prefix):
    order, pred = predict(model, dataset, indices, standardizer, geometry, batch_size, rank, world)
    y = dataset.labels[order]
    label_mask = torch.from_numpy(~np.isnan(y))
    y_std = torch.from_numpy(np.nan_to_num(standardizer.transform(y)).astype(np.float32))
    loss = metrics.masked_loss(torch.from_numpy(pred), y_std, label_mask, dataset.regression).item()
    report = {f"{prefix}/loss": loss}
    if dataset.regression:
        report.update(metrics.regression_report(standardizer.inverse(pred), y, dataset.target_names,
                                                dataset.units, prefix))
    else:
        report.update(metrics.classification_report(pred, y, dataset.target_names, prefix))
    return report


def mean_predictor_report(dataset, split, standardizer) -> dict:
    """MAE of always predicting the training mean: the bar a QM9 model has to clear."""
    out = {}
    for part, idx in (("validation", split.validation), ("test", split.test)):
        y = dataset.labels[idx]
        pred = np.broadcast_to(standardizer.mean, y.shape)
        out.update(metrics.regression_report(pred, y, dataset.target_names, dataset.units, f"{part}/baseline"))
    return out


def resume(args, module, optimizer, iterations_per_epoch: int) -> tuple[int, int]:
    """Load `--resume` and return the (iteration, epoch) to continue after.

    Epochs are the unit of the seeded shuffle, so a snapshot taken mid-epoch restarts that epoch
    (with the later weights); trainui keeps the replayed reports out of the main log.
    """
    path = trainui.find_latest_snapshot(args.out) if args.resume == "auto" else args.resume
    if not path:
        return 0, 0
    state = trainui.load_snapshot(path, model=module, optimizer=optimizer)
    epoch = int(state["iteration"]) // iterations_per_epoch
    return epoch * iterations_per_epoch, epoch


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    rank, world = init_distributed()
    paths = data.resolve_sources(args.data)
    hp = presets.resolve(data.detect_kind_of(paths), args.model, args.smoke,
                         {"hidden": args.hidden, "layers": args.layers, "batch_size": args.batch_size,
                          "epochs": args.epochs, "lr": args.lr, "limit": args.limit})
    dataset = load_dataset(args, paths, hp["limit"], rank)
    split = batching.seeded_split(len(dataset.records), args.seed)
    standardizer = batching.Standardizer(dataset.labels[split.train], dataset.regression)
    geometry = models.uses_geometry(args.model)
    if geometry and "z" not in dataset.records[0]:
        raise SystemExit("SchNet needs geometry: none in the CSV and no conformers were made")

    torch.manual_seed(args.seed)
    module = models.build(args.model, hidden=hp["hidden"], layers=hp["layers"], n_targets=len(dataset.target_names))
    model = DistributedDataParallel(module) if world > 1 else module
    optimizer = torch.optim.Adam(module.parameters(), lr=hp["lr"])
    per_rank = len(batching.shard(split.train, 0, world, epoch_seed=0))
    iterations_per_epoch = -(-per_rank // hp["batch_size"])
    run_args = dict(vars(args), **hp, dataset=dataset.kind, data_files=paths, n_molecules=len(dataset.records), world_size=world, targets=",".join(dataset.target_names),
                    n_train=len(split.train), n_validation=len(split.validation), n_test=len(split.test),
                    skipped_molecules=dataset.skipped, parameters=sum(p.numel() for p in module.parameters()))

    iteration, epoch = resume(args, module, optimizer, iterations_per_epoch)

    def validation_report():
        return evaluate(model.module if world > 1 else model, dataset, split.validation, standardizer,
                        geometry, 256, rank, world, "validation/main")

    with trainui.Run(out=args.out, args=run_args, model=module, optimizer=optimizer,
                     total_iterations=iterations_per_epoch * hp["epochs"]) as run:

        @run.command("evaluate")
        def _evaluate(body):
            return validation_report()

        stop = False
        while epoch < hp["epochs"] and not stop:
            epoch += 1
            order = batching.shard(split.train, rank, world, epoch_seed=args.seed * 1000 + epoch)
            loss_sum, seen, started = 0.0, 0, time.perf_counter()
            for idx in batching.batches(order, hp["batch_size"]):
                batch = batching.collate(dataset, idx, standardizer, geometry)
                loss = metrics.masked_loss(model(batch), batch["y"], batch["label_mask"], dataset.regression)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                iteration += 1
                loss_sum, seen = loss_sum + loss.item() * len(idx), seen + len(idx)
                if run.step(iteration=iteration, epoch=epoch):
                    stop = True
                    break
            elapsed = time.perf_counter() - started
            totals = torch.tensor([loss_sum, float(seen)], dtype=torch.float64)
            if world > 1:
                dist.all_reduce(totals)
                slowest = torch.tensor([elapsed])
                dist.all_reduce(slowest, op=dist.ReduceOp.MAX)  # throughput of the whole job
                elapsed = slowest.item()
            report = {"main/loss": totals[0].item() / max(totals[1].item(), 1.0),
                      "molecules_per_sec": totals[1].item() / max(elapsed, 1e-9)}
            report.update(validation_report())
            run.log(report, iteration=iteration, epoch=epoch)

        final = evaluate(module, dataset, split.test, standardizer, geometry, 256, rank, world, "test/main")
        if dataset.regression:
            final.update(mean_predictor_report(dataset, split, standardizer))
        run.log(final, iteration=iteration, epoch=epoch)
        if args.snapshot_at_end:
            run.snapshot()
    if dist.is_initialized():
        # Nothing may hold the process group when it is torn down (the DDP model, reached also
        # through the run's `evaluate` command), or gloo can abort a rank at interpreter exit.
        del model, run, validation_report, _evaluate
        gc.collect()
        dist.barrier()  # no rank tears gloo down while another is still finishing its last collective
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
