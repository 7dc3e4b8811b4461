"""What TrainuiCallback costs a Hugging Face Trainer step (issue 20: target < 2 % of the step).

A tiny GPT-2 (2 layers, built from its config) trained by the real Trainer on CPU, a log every
step (the callback's busiest setting), in one process:

1. the callback's own time: every callback event timed from the inside (perf_counter around
   each call), divided by the steps, against the mean step time of the same run; precise, and
   independent of what the neighbours on a shared machine do;
2. as a cross-check, whole runs with and without the callback, interleaved (A B A B ...), each
   run's ``train_runtime`` per step, the fastest run of each kind (the one the neighbours on a
   shared machine disturbed least); their difference is printed next to the spread between runs of
   the same kind, which on a busy 2-core machine is larger than the callback's cost.

    python benchmarks/bench_hf_callback.py [--steps 300] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "trainer"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import tiny_models  # noqa: E402
from transformers import PrinterCallback, Trainer  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

from trainui.integrations.transformers import TrainuiCallback  # noqa: E402

EVENTS = ("on_train_begin", "on_step_end", "on_log", "on_save", "on_train_end")


class TimedCallback(TrainuiCallback):
    """TrainuiCallback with a stopwatch around each event."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seconds = {name: 0.0 for name in EVENTS}


def _timed(name):
    original = getattr(TrainuiCallback, name)

    def event(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            self.seconds[name] += time.perf_counter() - start

    return event


for _name in EVENTS:
    setattr(TimedCallback, _name, _timed(_name))


def one_run(steps: int, callback) -> tuple[float, float, float]:
    """(seconds per step of the training loop, seconds per step in the callback's on_step_end, in its on_log)."""
    with tempfile.TemporaryDirectory() as out:
        args = tiny_models.training_args(out, max_steps=steps, disable_tqdm=True, log_level="error")
        callbacks = [callback] if callback is not None else []
        trainer = Trainer(tiny_models.tiny_gpt2(), args, train_dataset=tiny_models.TokenDataset(256),
                          callbacks=callbacks)
        trainer.remove_callback(PrinterCallback)  # no printed dict per step in either run
        metrics = trainer.train().metrics
        per_step = metrics["train_runtime"] / steps
        if callback is None:
            return per_step, 0.0, 0.0
        return per_step, callback.seconds["on_step_end"] / steps, callback.seconds["on_log"] / steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    hf_logging.set_verbosity_error()

    one_run(20, None)  # warm up (imports, allocator, threads)
    plain, with_callback, stepping, logging = [], [], [], []
    for _ in range(options.rounds):
        plain.append(one_run(options.steps, None)[0])
        step, in_step_end, in_log = one_run(options.steps, TimedCallback())
        with_callback.append(step)
        stepping.append(in_step_end)
        logging.append(in_log)
    step_time = statistics.median(with_callback)
    cost = statistics.median([a + b for a, b in zip(stepping, logging)])
    print(f"tiny GPT-2, {options.steps} steps x {options.rounds} rounds, a log every step (CPU)")
    print(f"step with the callback (median):        {step_time * 1e3:8.2f} ms")
    print(f"callback's per-step events (median):    {cost * 1e6:8.1f} us = {cost / step_time * 100:.3f} % of the step "
          f"(target < 2 %) {'OK' if cost / step_time < 0.02 else 'OVER'}")
    print(f"  of which on_step_end (commands):      {statistics.median(stepping) * 1e6:8.1f} us, "
          f"on_log (the log entry): {statistics.median(logging) * 1e6:.1f} us")
    base, best = min(plain), min(with_callback)
    spread = (max(plain) - base) / base * 100
    print(f"whole runs, fastest of each kind: without {base * 1e3:.2f} ms/step, with {best * 1e3:.2f} ms/step: "
          f"{(best / base - 1) * 100:+.2f} % (runs without it spread by {spread:.1f} %: noise)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
