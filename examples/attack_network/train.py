"""Train the NIPS'17 attack network against frozen classifiers, logged and steered with trainui.

    python examples/attack_network/train.py --smoke
    torchrun --standalone --nproc_per_node=2 examples/attack_network/train.py --smoke --out results/attack_network/attack-ddp

Steps: load images; train (or reuse from ``--cache``) the classifiers, each its own trainui
result; train the attack network with DDP against the training targets (one per rank, or all of
a rank's share each iteration); compare it with FGSM, iterative FGSM and MI-FGSM on the test
images, white-box on the training targets and black-box (transfer) on the held-out classifiers,
an adversarially trained defense among them; print, log and write the table (evaluation.json).
See README.md next to this file for what the figures mean.
"""
from __future__ import annotations

import argparse
import os

import torch
from torch.nn.parallel import DistributedDataParallel

import trainui

import classifiers
import dist_utils
import report
from attack_net import AttackNetwork
from attack_training import RankTrainer, merge_stats, share
from evaluation import Classifier, compare, comparison_jobs, evaluate_attack_network, generate
from images import load_images
from visuals import triplet_grid

# --smoke: about a minute and a half on 2 CPU cores with 2 ranks, classifier training included.
SMOKE = dict(size=16, clf_epochs=6, iterations=80, batch_size=64, width=8, depth=2, norm="none", lr=2e-3,
             log_every=10, eval_every=20, image_every=20)
# The default size: what benchmarks/bench_attack.py measures on a 2-core CPU (README.md has its figures
# and a bigger GPU configuration).
FULL = dict(size=16, clf_epochs=15, iterations=1200, batch_size=64, width=8, depth=2, norm="none", lr=2e-3,
            log_every=20, eval_every=200, image_every=200)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("results", "attack_network", "attack"),
                        help="trainui result directory of the attack network (its parent is the project)")
    parser.add_argument("--smoke", action="store_true", help="small, fast settings for CPUs and CI")
    parser.add_argument("--data", default=None,
                        help="folder-per-class image directory (default: the digits in examples/data)")
    parser.add_argument("--channels", type=int, default=1, choices=(1, 3), help="1 grey, 3 RGB (with --data)")
    parser.add_argument("--cache", default=None,
                        help="where trained classifiers (each a trainui result) are kept; default: --out's parent")
    parser.add_argument("--targets", default="cnn,wide_cnn", help="classifiers the attack network trains against")
    parser.add_argument("--held-out", default="mlp,adv_cnn",
                        help="classifiers no method sees, scored for transfer (adv_<arch>: adversarially trained)")
    parser.add_argument("--hint-from", default=None,
                        help="training target whose gradient is the attack network's hint on held-out "
                             "classifiers (default: the first of --targets)")
    parser.add_argument("--hint", choices=("gradient", "none"), default="gradient",
                        help="the attack network's extra input: a classifier's input gradient (PFN's hint), or none "
                             "(the image alone: no classifier pass at attack time)")
    parser.add_argument("--eps-weights", default="3,1,1",
                        help="weights of the per-epsilon losses (the smallest budget is the hardest to learn)")
    parser.add_argument("--epsilons", default="0.1,0.2,0.3", help="one output head per epsilon (pixels in [0,1])")
    parser.add_argument("--baseline-iterations", type=int, default=10)
    parser.add_argument("--bench-images", type=int, default=0,
                        help="test images in the final comparison (0: all; --smoke: 128)")
    parser.add_argument("--bench-batch-size", type=int, default=64,
                        help="batch size of every method in the final comparison")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per rank; on a shared CPU one thread per process is fastest for "
                             "models this small (use more ranks for more cores)")
    parser.add_argument("--resume", default=None, help="snapshot_iter_<N>.pt to continue from")
    for key, value in FULL.items():
        parser.add_argument("--" + key.replace("_", "-"), type=type(value), default=None,
                            help=f"default {value}, {SMOKE[key]} with --smoke")
    args = parser.parse_args(argv)
    for key, value in (SMOKE if args.smoke else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.smoke and not args.bench_images:
        args.bench_images = 128
    args.epsilons = [float(e) for e in args.epsilons.split(",")]
    args.targets = [t for t in args.targets.split(",") if t]
    args.held_out = [t for t in args.held_out.split(",") if t]
    names = args.targets + args.held_out
    if not args.targets or len(set(names)) != len(names):
        parser.error("--targets needs classifiers, all distinct, and --held-out must not repeat one of them")
    args.hint_from = args.hint_from or args.targets[0]
    if args.hint_from not in args.targets:
        parser.error("--hint-from must be one of --targets: held-out classifiers are unknown to the attack")
    args.eps_weights = [float(w) for w in args.eps_weights.split(",")]
    if args.eps_weights and len(args.eps_weights) != len(args.epsilons):
        parser.error("--eps-weights needs one weight per epsilon")
    args.cache = args.cache or os.path.dirname(os.path.abspath(args.out))
    return args


def pick_device(choice: str, local_rank: int) -> torch.device:
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda":
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def prepare_classifiers(args, data, rank: int, world_size: int) -> dict[str, str]:
    """Train the missing classifiers, each rank its share, before the process group exists.

    Each classifier's trainui.Run is then a plain single-process run, and ranks train in
    parallel; ``dist_utils.init`` waits for every rank, so no one loads an unfinished file.
    """
    names = args.targets + args.held_out
    dirs = {name: os.path.join(args.cache, classifiers.cache_key(name, args.data, data, args.clf_epochs, args.seed))
            for name in names}
    for index, name in enumerate(names):
        if index % world_size == rank:
            classifiers.ensure_trained(name, dirs[name], data, args.clf_epochs, args.seed + index)
    return dirs


def main(argv=None) -> None:
    args = parse_args(argv)
    rank, world_size, local_rank = dist_utils.world()
    torch.set_num_threads(args.threads)
    device = pick_device(args.device, local_rank)
    data = load_images(args.data, args.size, args.channels, seed=args.seed)
    if rank == 0:
        print(f"data: {data.describe()}; {world_size} rank(s) on {device}", flush=True)
    classifier_dirs = prepare_classifiers(args, data, rank, world_size)
    dist_utils.init(world_size, device)

    loaded = {name: classifiers.load(name, path, data) for name, path in classifier_dirs.items()}
    targets = [Classifier(name, loaded[name][0].to(device), loaded[name][1], classifiers.is_adversarial(name))
               for name in args.targets]
    held_out = [Classifier(name, loaded[name][0].to(device), loaded[name][1], classifiers.is_adversarial(name),
                           held_out=True) for name in args.held_out]
    hint_model = next(t.model for t in targets if t.name == args.hint_from)
    everyone = targets + held_out

    torch.manual_seed(args.seed)  # identical initial weights on every rank (DDP also broadcasts them)
    net = AttackNetwork(data.channels, args.epsilons, width=args.width, depth=args.depth,
                        norm=args.norm == "batch", use_hint=args.hint == "gradient").to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    start = 0
    if args.resume:
        start = int(trainui.load_snapshot(args.resume, model=net, optimizer=optimizer)["iteration"])
    ddp_net = DistributedDataParallel(net, device_ids=[local_rank] if device.type == "cuda" else None) \
        if world_size > 1 else net
    trainer = RankTrainer(ddp_net, net, optimizer, share(targets, rank, world_size), data.train_x, data.train_y,
                          args.batch_size, seed=args.seed * 1000 + rank, device=device, eps_weights=args.eps_weights)
    test_x, test_y = data.test_x.to(device), data.test_y.to(device)
    images_per_epoch = len(data.train_x)

    # --resume with a snapshot of --out (loaded above, through trainui) continues that run; otherwise a
    # run into a directory that holds one goes beside it (--out-2, ...; the job says where).
    with trainui.Run(out=args.out, args=vars(args), model=net, optimizer=optimizer,
                     total_iterations=args.iterations, progress=True) as run:
        run.log({f"validation/clean_accuracy/{t.name}": t.clean_accuracy for t in everyone}, iteration=start, epoch=0)

        @run.command("triplets")
        def triplets_now(body: dict) -> dict:
            """A user command: draw the image triplets now rather than at the next --image-every."""
            if rank == 0:  # it runs on every rank; only rank 0 writes images
                log_triplets(run, net, targets[0], test_x[:8], run.iteration or start)
            return {"tags": [f"triplet_eps{eps:g}" for eps in net.epsilons], "iteration": run.iteration}

        iteration = start
        while iteration < args.iterations:
            iteration += 1
            epoch = iteration * args.batch_size * world_size // images_per_epoch
            trainer.step(iteration)
            stop = run.step(iteration=iteration, epoch=epoch)  # commands first: a stop still logs this iteration
            last = stop or iteration == args.iterations
            values = {}
            if iteration % args.log_every == 0 or last:
                values.update(merge_stats(dist_utils.gather(trainer.take_stats(), world_size)))
            if iteration % args.eval_every == 0 or last:
                values.update(evaluate(net, targets, held_out, hint_model, test_x, test_y, rank, world_size))
            if values:
                run.log(values, iteration=iteration, epoch=epoch)
            if rank == 0 and (iteration % args.image_every == 0 or last):
                log_triplets(run, net, targets[0], test_x[:8], iteration)
            if stop:
                break
        final_report(args, run, net, targets, held_out, hint_model, test_x, test_y, rank, world_size, iteration, epoch)
    del trainer, ddp_net  # nothing may hold the process group (DDP) when it is torn down
    dist_utils.shutdown(world_size)


def evaluate(net, targets, held_out, hint_model, test_x, test_y, rank, world_size) -> dict[str, float]:
    """Held-out test images; rank 0 evaluates (a few hundred images), the others wait for the gather."""
    values = evaluate_attack_network(net, targets, held_out, hint_model, test_x, test_y) if rank == 0 else {}
    return dist_utils.gather(values, world_size)[0]


def log_triplets(run, net: AttackNetwork, target: Classifier, x: torch.Tensor, iteration: int) -> None:
    net.eval()
    outputs = generate(net, target.model, x)
    net.train()
    for eps, x_adv in zip(net.epsilons, outputs):
        run.log_image(f"triplet_eps{eps:g}", triplet_grid(x, x_adv, eps), step=iteration)


def final_report(args, run, net, targets, held_out, hint_model, test_x, test_y, rank, world_size, iteration,
                 epoch) -> None:
    """White-box and transfer rows of every method; the jobs (one per target, one for transfer) are shared by rank."""
    n = args.bench_images or len(test_x)
    jobs = comparison_jobs(targets, held_out)
    rows = [row for job in jobs[rank::world_size]
            for row in compare(net, job, targets, held_out, hint_model, test_x[:n], test_y[:n],
                               iterations=args.baseline_iterations, batch_size=args.bench_batch_size)]
    rows = [row for part in dist_utils.gather(rows, world_size) for row in part]
    summary = report.summarise(rows)
    if rank == 0:
        table = report.format_table(rows, summary)
        print("\n" + table, flush=True)
        print(f"wrote {report.write_evaluation(run.out, rows, summary, table)}", flush=True)
    run.log(report.final_log_values(rows, summary), iteration=iteration, epoch=epoch)


if __name__ == "__main__":
    main()
