"""Trainer-library costs that issue 3 sets targets for; prints figures and ratios.

1. ``Run.log()`` per call with 1k entries in ``log`` vs 100k (target: ratio <= 1.5; append in
   place makes it O(1), where Chainer's rewrite-everything LogReport is O(n)).
2. ``Run.step()`` (the poll) with nothing pending, single process (target: < 50 us; issue 20: < 1 us,
   and unchanged when a steered LR scheduler is registered), and a steered scheduler's ``step()``
   with no change made against the same scheduler unsteered (steering costs one dict lookup per group).
3. Collectives per ``step()`` under torch.distributed with 2 gloo ranks (target: 1 when nothing
   is pending, and 1 in each step that checks a hyperparameter change and answers it), counted by
   wrapping every torch.distributed collective the library could call.

    python benchmarks/bench_trainer.py [--entries 100000] [--skip-distributed]
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import trainui  # noqa: E402
from trainui import protocol  # noqa: E402
from trainui.config import JOB_POLL_INTERVAL  # noqa: E402

REPORT = {"main/loss": 0.123456, "main/accuracy": 0.9, "validation/main/loss": 0.2,
          "validation/main/accuracy": 0.85, "lr": 0.01}


def log_cost(entries: int, window: int = 5000, repeats: int = 7) -> float:
    """Microseconds per log() call (flushes included) once the log holds ``entries``: the best of
    ``repeats`` windows, because on a shared 2-core machine the median measures the neighbours."""
    with tempfile.TemporaryDirectory() as out:
        run = trainui.Run(out, progress=False, handle_signals=False)
        for i in range(1, entries + 1):
            run.log(REPORT, iteration=i, epoch=0)
        run.flush()
        samples = []
        it = entries
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(window):
                it += 1
                run.log(REPORT, iteration=it, epoch=0)
            run.flush()
            samples.append((time.perf_counter() - start) / window * 1e6)
        run.close()
        return min(samples)


def poll_cost(calls: int = 200_000, poll_interval: float = JOB_POLL_INTERVAL, scheduled: bool = False) -> float:
    """Microseconds per step() with nothing pending, best of 5 windows; ``scheduled``: with an
    optimizer and a registered (steered) LR scheduler, as a scheduled loop runs."""
    with tempfile.TemporaryDirectory() as out:
        extra = {}
        if scheduled:
            import torch

            optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(3))], lr=0.1)
            extra = {"optimizer": optimizer, "scheduler": torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)}
        run = trainui.Run(out, progress=False, handle_signals=False, poll_interval=poll_interval, **extra)
        run.step(iteration=0)
        samples = []
        for r in range(5):
            start = time.perf_counter()
            for i in range(calls // 5):
                run.step(iteration=i)
            samples.append((time.perf_counter() - start) / (calls // 5) * 1e6)
        run.close()
        return min(samples)


def interleaved(a, b, rounds: int = 4) -> tuple[float, float]:
    """The best figure of each of two measurements taken in turns (A B A B ...), so that a busy
    neighbour, or the warm-up of the first, weighs on both alike."""
    figures = [(a(), b()) for _ in range(rounds)]
    return min(f[0] for f in figures), min(f[1] for f in figures)


def scheduler_step_cost(steered: bool, calls: int = 20_000) -> float:
    """Microseconds per LambdaLR.step() on a 4-group optimizer, best of 5 windows."""
    import torch

    from trainui.trainer import schedules

    optimizer = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(3))]} for _ in range(4)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0 / (1.0 + 1e-4 * s))
    if steered:
        schedules.steer(scheduler)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls // 5):
            optimizer.step()  # the scheduler warns when it steps without the optimizer
            scheduler.step()
        samples.append((time.perf_counter() - start) / (calls // 5) * 1e6)
    return min(samples)


COLLECTIVES = ("broadcast", "all_reduce", "all_gather", "all_gather_into_tensor", "gather", "scatter",
               "reduce", "reduce_scatter", "reduce_scatter_tensor", "all_to_all", "all_to_all_single",
               "barrier", "broadcast_object_list", "all_gather_object", "gather_object", "scatter_object_list",
               "send", "recv", "isend", "irecv")


def _distributed_worker(rank: int, world: int, port: int, out: str, steps: int, results) -> None:
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    calls = {"n": 0}
    for name in COLLECTIVES:
        original = getattr(dist, name, None)
        if original is None:
            continue

        def counted(*args, _original=original, **kwargs):
            calls["n"] += 1
            return _original(*args, **kwargs)

        setattr(dist, name, counted)
    import torch

    model = torch.nn.Linear(2, 2)
    run = trainui.Run(out, model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                      progress=False, handle_signals=False, poll_interval=0.0)
    dist.barrier()
    calls["n"] = 0
    run.step(iteration=1)  # once per run: every rank takes the result directory rank 0 chose
    first_calls = calls["n"]
    calls["n"] = 0
    start = time.perf_counter()
    for i in range(2, steps + 2):
        run.step(iteration=i)
    idle_seconds = time.perf_counter() - start
    idle_calls = calls["n"]
    dist.barrier()
    if rank == 0:
        uid = "bench-lr"
        record = protocol.CommandRecord(uid=uid, name="adjust_hyperparams", body={"lr": 0.05})
        protocol.atomic_write_json(os.path.join(out, protocol.COMMANDS_INBOX, f"{uid}.json"), record.to_json())
    dist.barrier()
    calls["n"] = 0
    run.step(iteration=steps + 2)
    command_calls = calls["n"]
    checking_calls = []  # the steps after it: the change is checked, then answered (verdicts reduced)
    for i in range(run._steering.verify_steps):
        calls["n"] = 0
        run.step(iteration=steps + 3 + i)
        checking_calls.append(calls["n"])
    answered = os.path.exists(os.path.join(out, protocol.COMMANDS_OUTBOX, "bench-lr.json"))
    run.close()
    results.put((rank, idle_calls / steps, idle_seconds / steps * 1e6, command_calls, checking_calls, answered,
                 first_calls))
    del run
    gc.collect()  # nothing may still hold the process group when gloo goes (a rank aborted at exit under load)
    dist.barrier()
    dist.destroy_process_group()


def distributed_collectives(steps: int = 2000) -> list[tuple]:
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    with tempfile.TemporaryDirectory() as out:
        mp.start_processes(_distributed_worker, args=(2, port, out, steps, results), nprocs=2,
                           join=True, start_method="spawn")
        return sorted(results.get(timeout=30) for _ in range(2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--skip-distributed", action="store_true")
    args = parser.parse_args()

    small = log_cost(1000)
    large = log_cost(args.entries)
    ratio = large / small
    print("(best of 7 windows per figure)")
    print(f"log() per call at 1k entries:        {small:8.2f} us")
    print(f"log() per call at {args.entries // 1000}k entries:      {large:8.2f} us")
    print(f"ratio {args.entries // 1000}k / 1k:                     {ratio:8.2f}x   (target <= 1.5x) "
          f"{'OK' if ratio <= 1.5 else 'OVER'}")

    idle, idle_scheduled = interleaved(poll_cost, lambda: poll_cost(scheduled=True))
    print(f"step()/poll() nothing pending (1 proc): {idle:8.2f} us   (target < 1 us) {'OK' if idle < 1 else 'OVER'}")
    print(f"  with a steered LR scheduler:          {idle_scheduled:8.2f} us   ({idle_scheduled / idle:.2f}x, "
          f"target unchanged)")
    plain, steered = interleaved(lambda: scheduler_step_cost(False), lambda: scheduler_step_cost(True))
    print(f"optimizer.step() + LambdaLR.step(), 4 groups: {plain:.2f} us plain, {steered:.2f} us steered with no change "
          f"({(steered / plain - 1) * 100:+.1f} %)")
    scanning = poll_cost(calls=20_000, poll_interval=0.0)
    print(f"step() listing the inbox every call:    {scanning:8.2f} us   (poll_interval=0, worst case)")

    if not args.skip_distributed:
        for rank, per_step, micros, on_command, checking, answered, first in distributed_collectives():
            print(f"rank {rank}: {per_step:.2f} collectives per idle step() ({micros:.1f} us each, gloo), "
                  f"{on_command} for a step that applies one command, {checking} in the steps that check it "
                  f"({'answered' if answered or rank else 'NOT answered'}), {first} for the run's first step")
        print("target: 1 collective per idle step(), 1 per checking step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
