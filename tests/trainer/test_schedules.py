"""A hyperparameter change under every torch.optim.lr_scheduler class and every Transformers schedule
function, in both meanings, read from the optimizer 50 steps later (in-process, fast).

Each case trains the same loop twice: once as it is (the reference schedule), once with
``adjust_hyperparams`` posted at iteration 10 through the real inbox. ``scale`` must give the
reference value times the factor that made the value the one asked for at iteration 10 (for momentum
and betas: their distance to 1 scaled); ``hold`` must give the asked value. Every answer is SUCCESS
with the values in force; the same loop with the scheduler left unregistered is a FAILURE that says
what was found and how to fix it.
"""
from __future__ import annotations

import math
import os

import pytest

torch = pytest.importorskip("torch")
L = torch.optim.lr_scheduler

import trainui  # noqa: E402
from trainui import protocol  # noqa: E402
from trainui.trainer import schedules  # noqa: E402

CHANGE_AT, LATER = 10, 50
STEPS = CHANGE_AT + LATER


def sgd(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def adam(params):
    return torch.optim.Adam(params, lr=0.01, betas=(0.9, 0.999))


def plateau_metric(it: int) -> float:
    return max(1.0, 5.0 - it)  # improves, then stalls: ReduceLROnPlateau cuts the lr after the change


TORCH_CASES = {
    "LambdaLR": (sgd, lambda o: L.LambdaLR(o, lambda s: 1.0 / (1 + 0.05 * s))),
    "MultiplicativeLR": (sgd, lambda o: L.MultiplicativeLR(o, lambda s: 0.97)),
    "StepLR": (sgd, lambda o: L.StepLR(o, step_size=7, gamma=0.5)),
    "MultiStepLR": (sgd, lambda o: L.MultiStepLR(o, milestones=[5, 25, 40], gamma=0.3)),
    "ConstantLR": (sgd, lambda o: L.ConstantLR(o, factor=0.5, total_iters=30)),
    "LinearLR": (sgd, lambda o: L.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=40)),
    "ExponentialLR": (sgd, lambda o: L.ExponentialLR(o, gamma=0.95)),
    "PolynomialLR": (sgd, lambda o: L.PolynomialLR(o, total_iters=70, power=2.0)),
    "CosineAnnealingLR": (sgd, lambda o: L.CosineAnnealingLR(o, T_max=25, eta_min=0.001)),
    "CosineAnnealingWarmRestarts": (sgd, lambda o: L.CosineAnnealingWarmRestarts(o, T_0=8, T_mult=2, eta_min=0.001)),
    "CyclicLR": (sgd, lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6, mode="triangular2")),
    "OneCycleLR": (sgd, lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=STEPS + 5)),
    "ReduceLROnPlateau": (sgd, lambda o: L.ReduceLROnPlateau(o, factor=0.5, patience=2)),
    "SequentialLR": (sgd, lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.2, total_iters=5),
                                                       L.ExponentialLR(o, gamma=0.9)], milestones=[5])),
    "ChainedScheduler": (sgd, lambda o: L.ChainedScheduler([L.ConstantLR(o, factor=0.5, total_iters=20),
                                                            L.ExponentialLR(o, gamma=0.97)])),
}
MOMENTUM_CASES = {  # schedulers that drive momentum (SGD) or betas[0] (Adam) as well
    "OneCycleLR-momentum": (sgd, TORCH_CASES["OneCycleLR"][1], "momentum", 0.9),
    "CyclicLR-momentum": (sgd, TORCH_CASES["CyclicLR"][1], "momentum", 0.85),
    "OneCycleLR-betas": (adam, lambda o: L.OneCycleLR(o, max_lr=0.01, total_steps=STEPS + 5), "betas", [0.9, 0.99]),
    "CyclicLR-betas": (adam, lambda o: L.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=6), "betas", [0.9, 0.99]),
}


try:
    import transformers
except ImportError:  # an optional extra: pip install -e '.[transformers]'
    transformers = None


def hf_cases() -> dict:
    if transformers is None:
        return {}
    o = transformers.optimization
    warm = {"num_warmup_steps": 5, "num_training_steps": STEPS + 20}
    return {
        "get_constant_schedule": lambda opt: o.get_constant_schedule(opt),
        "get_constant_schedule_with_warmup": lambda opt: o.get_constant_schedule_with_warmup(opt, 5),
        "get_linear_schedule_with_warmup": lambda opt: o.get_linear_schedule_with_warmup(opt, **warm),
        "get_cosine_schedule_with_warmup": lambda opt: o.get_cosine_schedule_with_warmup(opt, **warm),
        "get_cosine_with_hard_restarts_schedule_with_warmup":
            lambda opt: o.get_cosine_with_hard_restarts_schedule_with_warmup(opt, num_cycles=3, **warm),
        "get_polynomial_decay_schedule_with_warmup":
            lambda opt: o.get_polynomial_decay_schedule_with_warmup(opt, power=2.0, lr_end=1e-4, **warm),
        "get_inverse_sqrt_schedule": lambda opt: o.get_inverse_sqrt_schedule(opt, num_warmup_steps=5),
        "get_cosine_with_min_lr_schedule_with_warmup":
            lambda opt: o.get_cosine_with_min_lr_schedule_with_warmup(opt, min_lr_rate=0.1, **warm),
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate":
            lambda opt: o.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(opt, min_lr_rate=0.1, **warm),
        "get_wsd_schedule": lambda opt: o.get_wsd_schedule(opt, num_warmup_steps=5, num_decay_steps=20,
                                                           num_training_steps=STEPS + 5),
        "get_reduce_on_plateau_schedule": lambda opt: o.get_reduce_on_plateau_schedule(opt, factor=0.5, patience=2),
        "get_greedy_schedule": lambda opt: o.get_greedy_schedule(opt, patience=1, min_lr=1e-4, factor=0.8),
        "get_scheduler('cosine')": lambda opt: o.get_scheduler("cosine", opt, **warm),
    }


def takes_metric(scheduler) -> bool:
    return isinstance(schedules.unwrap(scheduler), L.ReduceLROnPlateau) or type(scheduler).__name__ == "GreedyLR"


def train(out, make_optimizer, make_scheduler, body=None, register=True):
    """The loop of a script: optimizer.step, scheduler.step, run.step; ``body`` posted at CHANGE_AT.
    Returns (the optimizer's group 0 after each iteration, the command's answer)."""
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = make_optimizer([weight])
    scheduler = make_scheduler(optimizer)
    history = {}
    run = trainui.Run(str(out), optimizer=optimizer, scheduler=scheduler if register else None, progress=False,
                      handle_signals=False, poll_interval=0)
    for it in range(1, STEPS + 1):
        weight.grad = torch.full_like(weight, 0.1)
        optimizer.step()
        scheduler.step(plateau_metric(it)) if takes_metric(scheduler) else scheduler.step()
        if it == CHANGE_AT and body is not None:
            post(out, body)
        run.step(iteration=it)
        history[it] = {k: schedules.read(optimizer.param_groups[0], k) for k in ("lr", "momentum", "betas")
                       if k in optimizer.param_groups[0]}
    run.close()
    return history, (answer(out) if body is not None else None)


def post(out, body):
    record = protocol.CommandRecord(uid="change", name="adjust_hyperparams", body=body)
    protocol.atomic_write_json(os.path.join(out, protocol.COMMANDS_INBOX, "change.json"), record.to_json())


def answer(out):
    return protocol.read_json(os.path.join(out, protocol.COMMANDS_OUTBOX, "change.json"))


def expected_later(key, reference, asked, mode):
    """What the optimizer must hold 50 steps after the change, from the unchanged run."""
    if mode == "hold":
        return asked
    if isinstance(asked, list):
        return [expected_one(key, r_now, r_later, a) for r_now, r_later, a in
                zip(reference[CHANGE_AT][key], reference[STEPS][key], asked)]
    return expected_one(key, reference[CHANGE_AT][key], reference[STEPS][key], asked)


def expected_one(key, ref_now, ref_later, asked):
    if key in ("momentum", "betas"):
        if math.isclose(1 - ref_now, 1 - asked):
            return ref_later
        return 1 - (1 - ref_later) * (1 - asked) / (1 - ref_now)
    return ref_later * asked / ref_now


def check(tmp_path, make_optimizer, make_scheduler, key, asked, mode):
    reference, _ = train(tmp_path / "reference", make_optimizer, make_scheduler)
    body = {key: asked, "mode": mode}
    changed, response = train(tmp_path / "changed", make_optimizer, make_scheduler, body)
    assert response["status"] == "SUCCESS", response
    assert response["iteration"] == CHANGE_AT and response["body"]["mode"] == mode
    assert changed[CHANGE_AT][key] == pytest.approx(asked)  # the value now is the one asked for
    want = expected_later(key, reference, asked, mode)
    assert changed[STEPS][key] == pytest.approx(want, rel=1e-6), (reference[STEPS][key], changed[STEPS][key])
    (change,) = response["body"]["changes"]
    assert change["key"] == key and change["asked"] == pytest.approx(asked)
    assert response["body"]["hyperparams"][0][key] == pytest.approx(change["in_force"])  # values after the checks
    if mode == "scale" and not _constant(reference, key):  # the schedule still moves the value
        assert any(not schedules.same(changed[it][key], asked) for it in range(CHANGE_AT + 1, STEPS + 1))
    return reference, changed, response


def _constant(reference, key):
    return all(schedules.same(reference[it][key], reference[CHANGE_AT][key]) for it in range(CHANGE_AT, STEPS + 1))


@pytest.mark.parametrize("mode", ["scale", "hold"])
@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_lr_change_under_each_torch_scheduler(tmp_path, name, mode):
    make_optimizer, make_scheduler = TORCH_CASES[name]
    check(tmp_path, make_optimizer, make_scheduler, "lr", 0.02, mode)


@pytest.mark.parametrize("mode", ["scale", "hold"])
@pytest.mark.parametrize("name", sorted(MOMENTUM_CASES))
def test_momentum_and_betas_under_cycling_schedulers(tmp_path, name, mode):
    make_optimizer, make_scheduler, key, asked = MOMENTUM_CASES[name]
    _, changed, _ = check(tmp_path, make_optimizer, make_scheduler, key, asked, mode)
    values = [changed[it][key] for it in range(CHANGE_AT, STEPS + 1)]
    assert all((v[0] if isinstance(v, list) else v) < 1 for v in values)  # a scaled momentum stays below 1


@pytest.mark.parametrize("mode", ["scale", "hold"])
@pytest.mark.skipif(transformers is None, reason="transformers is an optional extra")
@pytest.mark.parametrize("name", sorted(hf_cases()))
def test_lr_change_under_each_transformers_schedule(tmp_path, name, mode):
    check(tmp_path, lambda p: torch.optim.AdamW(p, lr=0.001), hf_cases()[name], "lr", 0.0003, mode)


def test_every_torch_scheduler_class_and_transformers_schedule_has_a_case():
    """A scheduler class or ``get_scheduler`` name added by a new torch or Transformers release fails
    here until it has a case above, instead of going untested."""
    classes = {name for name, cls in vars(L).items() if isinstance(cls, type) and not name.startswith("_")
               and issubclass(cls, (L.LRScheduler, L.ReduceLROnPlateau)) and cls is not L.LRScheduler}
    assert classes <= set(TORCH_CASES), classes - set(TORCH_CASES)
    if transformers is not None:
        functions = {f.__name__ for f in transformers.optimization.TYPE_TO_SCHEDULER_FUNCTION.values()}
        assert functions <= set(hf_cases()), functions - set(hf_cases())


@pytest.mark.parametrize("name", ["LambdaLR", "OneCycleLR", "CosineAnnealingLR", "ExponentialLR", "SequentialLR"])
def test_an_unregistered_scheduler_is_a_failure_that_names_the_fix(tmp_path, name):
    make_optimizer, make_scheduler = TORCH_CASES[name]
    _, response = train(tmp_path, make_optimizer, make_scheduler, {"lr": 0.005}, register=False)
    assert response["status"] == "FAILURE", response
    error = response["body"]["error"]
    assert "'lr' of param group 0 was set to 0.005 at iteration 10, but at iteration 11 it is " in error
    assert "trainui.Run(..., scheduler=scheduler)" in error
    found = float(error.split("it is ")[1].split(":")[0].split(" ")[0])
    assert not math.isclose(found, 0.005)
    assert response["iteration"] == CHANGE_AT


def test_a_plain_optimizer_change_is_checked_and_holds(tmp_path):
    history, response = train(tmp_path, sgd, lambda o: L.ConstantLR(o, factor=1.0, total_iters=1), {"lr": 0.03},
                              register=False)  # a scheduler that never moves lr again: nothing rewrites it
    assert response["status"] == "SUCCESS"
    assert "no scheduler registered" in response["body"]["changes"][0]["schedule"]
    assert response["body"]["warnings"]  # but trainui says a scheduler exists that it does not know
    assert history[STEPS]["lr"] == 0.03


def test_scale_at_a_zero_warmup_value_fails_and_changes_nothing(tmp_path):
    pytest.importorskip("transformers")
    make = lambda o: transformers.get_linear_schedule_with_warmup(o, num_warmup_steps=100, num_training_steps=200)
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.AdamW([weight], lr=0.001)
    scheduler = make(optimizer)
    run = trainui.Run(str(tmp_path), optimizer=optimizer, scheduler=scheduler, progress=False,
                      handle_signals=False, poll_interval=0)
    post(str(tmp_path), {"lr": 0.01, "weight_decay": 0.5})  # lr is 0 before the first step of the warmup
    run.step(iteration=0)
    run.close()
    response = answer(str(tmp_path))
    assert response["status"] == "FAILURE"
    assert "scheduled value is 0" in response["body"]["error"] and '"hold"' in response["body"]["error"]
    assert optimizer.param_groups[0]["lr"] == 0.0 and optimizer.param_groups[0]["weight_decay"] == 0.01


def test_a_bad_mode_is_refused_with_both_meanings(tmp_path):
    _, response = train(tmp_path, sgd, TORCH_CASES["LambdaLR"][1], {"lr": 0.01, "mode": "freeze"})
    assert response["status"] == "FAILURE"
    assert '"scale"' in response["body"]["error"] and '"hold"' in response["body"]["error"]


def test_adafactor_with_relative_step_says_it_computes_its_own_lr(tmp_path):
    pytest.importorskip("transformers")
    make_optimizer = lambda p: transformers.optimization.Adafactor(p, lr=None, relative_step=True)
    make_scheduler = lambda o: transformers.optimization.AdafactorSchedule(o)
    _, response = train(tmp_path, make_optimizer, make_scheduler, {"lr": 0.01})
    assert response["status"] == "FAILURE" and "relative_step=False" in response["body"]["error"]


def test_the_changed_schedule_resumes_from_a_snapshot(tmp_path):
    """Snapshot after a change; a new job that loads it and registers its scheduler goes on with the
    changed schedule, value for value, as the job that kept running."""
    make = TORCH_CASES["LambdaLR"][1]
    whole, _ = train(tmp_path / "whole", sgd, make, {"lr": 0.02})

    out = tmp_path / "resumed"
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer, scheduler = sgd([weight]), None
    scheduler = make(optimizer)
    run = trainui.Run(str(out), optimizer=optimizer, scheduler=scheduler, progress=False, handle_signals=False,
                      poll_interval=0)
    for it in range(1, 31):
        weight.grad = torch.full_like(weight, 0.1)
        optimizer.step()
        scheduler.step()
        if it == CHANGE_AT:
            post(str(out), {"lr": 0.02})
        run.step(iteration=it)
    path = run.snapshot()
    run.close()

    weight = torch.nn.Parameter(torch.zeros(3))
    optimizer = sgd([weight])
    scheduler = make(optimizer)  # a fresh schedule, as a restarted script builds it
    state = trainui.load_snapshot(path, optimizer=optimizer, scheduler=scheduler)
    assert state["iteration"] == 30 and len(state["schedulers"]) == 1
    run = trainui.Run(str(out), optimizer=optimizer, scheduler=scheduler, progress=False, handle_signals=False)
    for it in range(31, STEPS + 1):
        weight.grad = torch.full_like(weight, 0.1)
        optimizer.step()
        scheduler.step()
        run.step(iteration=it)
        assert optimizer.param_groups[0]["lr"] == pytest.approx(whole[it]["lr"], rel=1e-9), it
    run.close()


def test_steering_keeps_the_scheduler_state_dict_and_class_checks():
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = sgd([weight])
    scheduler = L.OneCycleLR(optimizer, max_lr=0.1, total_steps=20)
    keys = set(scheduler.state_dict())
    steered = schedules.steer(scheduler)
    assert steered is scheduler and isinstance(scheduler, L.OneCycleLR) and type(scheduler).__name__ == "OneCycleLR"
    assert set(scheduler.state_dict()) == keys  # nothing of trainui's in it: it rides in the optimizer's groups
    import copy

    assert type(copy.deepcopy(scheduler)) is L.OneCycleLR  # a copy is the plain class: steering is per run
    with pytest.raises(TypeError, match="cannot steer"):
        schedules.steer(object())
