"""tinyres.optim against torch.optim: the same parameters and gradients give the same parameters
after several steps (float32), state_dict() resumes exactly, schedules give torch's lrs."""
import pickle
import warnings

import numpy as np
import pytest

import tinyres
from tinyres.optim import SGD, Adam
from tinyres.optim import lr_scheduler as sched

SHAPES = [(3, 4), (5,), (2, 3, 3, 3)]
STEPS = 6

SGD_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.1, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.9, weight_decay=5e-2),
    dict(lr=0.1, momentum=0.8, weight_decay=1e-2, nesterov=True),
    dict(lr=0.1, weight_decay=1e-1),
]
ADAM_CONFIGS = [
    dict(),
    dict(lr=1e-2, weight_decay=1e-1),
    dict(lr=3e-2, betas=(0.5, 0.9), eps=1e-6),
]
CASES = [("SGD", c) for c in SGD_CONFIGS] + [("Adam", c) for c in ADAM_CONFIGS]
OURS = {"SGD": SGD, "Adam": Adam}


def _values(seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def _ours(values, device):
    return [tinyres.tensor(v, requires_grad=True, device=device) for v in values]


def _set_grads(params, grads, device, skip=()):
    for i, (p, g) in enumerate(zip(params, grads)):
        p.grad = None if i in skip else tinyres.tensor(g, device=device)


def _set_torch_grads(torch, params, grads, skip=()):
    for i, (p, g) in enumerate(zip(params, grads)):
        p.grad = None if i in skip else torch.tensor(g)


def _groups(params, split):
    """params as one list, or as two groups when split is a dict of overrides for the second."""
    if split is None:
        return params
    return [{"params": params[:1]}, {"params": params[1:], **split}]


def _assert_params(ours, theirs, step):
    for i, (p, t) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-6,
                                   err_msg=f"parameter {i} after step {step}")


@pytest.mark.parametrize("name, config", CASES)
@pytest.mark.parametrize("split", [None, {"lr": 0.01}])
def test_matches_torch(device, torch, name, config, split):
    values, grads = _values()
    ours = _ours(values, device)
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    opt = OURS[name](_groups(ours, split), **config)
    topt = getattr(torch.optim, name)(_groups(theirs, split), **config)
    for step, g in enumerate(grads):
        skip = (1,) if step in (2, 3) else ()  # a param without a gradient is left alone
        _set_grads(ours, g, device, skip)
        _set_torch_grads(torch, theirs, g, skip)
        opt.step()
        topt.step()
        _assert_params(ours, theirs, step)


def test_param_group_hyperparameters(device, torch):
    values, grads = _values(1)
    ours = _ours(values, device)
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    groups = [{"params": [0], "momentum": 0.5}, {"params": [1, 2], "lr": 0.3, "nesterov": True}]
    opt = SGD([{**g, "params": [ours[i] for i in g["params"]]} for g in groups],
              lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([{**g, "params": [theirs[i] for i in g["params"]]} for g in groups],
                           lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.3]
    for step, g in enumerate(grads):
        _set_grads(ours, g, device)
        _set_torch_grads(torch, theirs, g)
        opt.step()
        topt.step()
        _assert_params(ours, theirs, step)


def test_gradients_are_not_modified(device):
    values, grads = _values()
    params = _ours(values, device)
    opt = SGD(params, lr=0.1, momentum=0.9, weight_decay=0.1)
    for _ in range(2):
        _set_grads(params, grads[0], device)
        opt.step()
        for p, g in zip(params, grads[0]):
            np.testing.assert_array_equal(p.grad.numpy(), g)


def test_zero_grad_sets_none(device):
    params = _ours(_values()[0], device)
    opt = Adam(params)
    _set_grads(params, _values()[1][0], device)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


@pytest.mark.parametrize("name, config", CASES)
def test_state_dict_resumes_exactly(device, name, config):
    values, grads = _values(2)
    whole = _ours(values, device)
    opt = OURS[name](_groups(whole, {"lr": 0.02}), **config)
    first = _ours(values, device)
    opt_first = OURS[name](_groups(first, {"lr": 0.02}), **config)
    for step, g in enumerate(grads):
        _set_grads(whole, g, device)
        opt.step()
        if step < 3:
            _set_grads(first, g, device)
            opt_first.step()
    saved = pickle.loads(pickle.dumps(opt_first.state_dict()))  # host-only, picklable
    resumed = [tinyres.tensor(p.numpy(), requires_grad=True, device=device) for p in first]
    opt_resumed = OURS[name](_groups(resumed, {"lr": 123.0}), **config)
    opt_resumed.load_state_dict(saved)
    assert opt_resumed.param_groups[1]["lr"] == 0.02
    for g in grads[3:]:
        _set_grads(resumed, g, device)
        opt_resumed.step()
    for p, q in zip(resumed, whole):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_state_dict_is_a_snapshot(device):
    values, grads = _values()
    params = _ours(values, device)
    opt = Adam(params)
    _set_grads(params, grads[0], device)
    opt.step()
    saved = opt.state_dict()
    before = saved["state"][0]["exp_avg"].copy()
    assert isinstance(before, np.ndarray) and saved["state"][0]["step"] == 1
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)
    opt.load_state_dict(saved)
    opt.step()  # must not write into the dict it loaded from
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)


def test_load_state_dict_checks_layout():
    params = _ours(_values()[0], "cpu")
    opt = SGD(params, lr=0.1, momentum=0.9)
    _set_grads(params, _values()[1][0], "cpu")
    opt.step()
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="has 1 param groups, this optimizer has 2"):
        SGD(_groups(params, {}), lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="holds 3 parameters"):
        SGD(params[:2], lr=0.1).load_state_dict(saved)
    wrong = _ours([np.zeros((4, 3), np.float32)] + _values()[0][1:], "cpu")
    with pytest.raises(ValueError, match=r"has shape \(3, 4\), expected .* shape \(4, 3\)"):
        SGD(wrong, lr=0.1, momentum=0.9).load_state_dict(saved)
    with pytest.raises(ValueError, match="keys 'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


BAD = [
    (SGD, dict(lr=-0.1), "lr must be >= 0"),
    (SGD, dict(lr=0.1, momentum=-0.5), "momentum must be >= 0"),
    (SGD, dict(lr=0.1, dampening=-1), "dampening must be >= 0"),
    (SGD, dict(lr=0.1, weight_decay=-1e-4), "weight_decay must be >= 0"),
    (SGD, dict(lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening == 0"),
    (SGD, dict(lr="0.1"), "lr must be a number"),
    (Adam, dict(lr=-1e-3), "lr must be >= 0"),
    (Adam, dict(betas=(1.0, 0.999)), r"betas\[0\] must be in \[0.0, 1.0\), got 1.0"),
    (Adam, dict(betas=(0.9, -0.1)), r"betas\[1\] must be in \[0.0, 1.0\), got -0.1"),
    (Adam, dict(betas=0.9), "betas must be a pair"),
    (Adam, dict(eps=-1e-8), "eps must be >= 0"),
    (Adam, dict(weight_decay=-1), "weight_decay must be >= 0"),
]


@pytest.mark.parametrize("cls, kwargs, message", BAD)
def test_bad_hyperparameters(cls, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        cls(_ours(_values()[0], "cpu"), **kwargs)


def test_bad_params():
    p = tinyres.zeros(3, requires_grad=True)
    with pytest.raises(TypeError, match="wrap it in a list"):
        SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="params is empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="must be tinyres Tensors"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="leaf"):
        SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one param group"):
        SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="unknown hyper-parameters.*'learning_rate'"):
        SGD([{"params": [p], "learning_rate": 0.1}], lr=0.1)
    with pytest.raises(ValueError, match="lr must be >= 0"):
        SGD([{"params": [p], "lr": -1.0}], lr=0.1)


# --- schedules ------------------------------------------------------------------------------------
def _schedule_pair(torch, build):
    """(our scheduler, torch's) over two param groups with different lrs."""
    ours = SGD([{"params": [tinyres.zeros(2, requires_grad=True)]},
                {"params": [tinyres.zeros(2, requires_grad=True)], "lr": 0.02}], lr=0.1)
    theirs = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)]},
                              {"params": [torch.zeros(2, requires_grad=True)], "lr": 0.02}],
                             lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "scheduler.step() before optimizer.step()"
        return build(sched, ours), build(torch.optim.lr_scheduler, theirs)


SCHEDULES = {
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7], gamma=0.1),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "cosine_eta_min_periodic": lambda m, o: m.CosineAnnealingLR(o, T_max=6, eta_min=1e-3),
    "linear_warmup": lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=4),
    "linear_decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.5, total_iters=7),
    "warmup_then_cosine": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=12)], [5]),
    "warmup_then_steps": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=3),
            m.MultiStepLR(o, milestones=[4, 8])], [3]),
}


def _lrs(scheduler, steps):
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            out.append(scheduler.get_last_lr())
            assert [g["lr"] for g in scheduler.optimizer.param_groups] == out[-1]
            scheduler.step()
    return np.array(out)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_torch(torch, name):
    ours, theirs = _schedule_pair(torch, SCHEDULES[name])
    np.testing.assert_allclose(_lrs(ours, 25), _lrs(theirs, 25), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_state_dict_resumes(name):
    def build():
        opt = SGD([tinyres.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
        return opt, SCHEDULES[name](sched, opt)
    opt, whole = build()
    expected = _lrs(whole, 20)[7:]
    opt, first = build()
    _lrs(first, 7)
    saved = pickle.loads(pickle.dumps((opt.state_dict(), first.state_dict())))
    opt2, resumed = build()
    opt2.load_state_dict(saved[0])
    resumed.load_state_dict(saved[1])
    np.testing.assert_array_equal(_lrs(resumed, 13), expected)


def test_bad_schedule_arguments():
    opt = SGD([tinyres.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="T_max must be an int >= 1, got 0"):
        sched.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="milestones must be ints >= 0"):
        sched.MultiStepLR(opt, milestones=[-1])
    with pytest.raises(ValueError, match=r"start_factor must be in \(0, 1\], got 0"):
        sched.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="expected len\\(schedulers\\) - 1 milestones"):
        sched.SequentialLR(opt, [sched.LinearLR(opt)], [3])
    with pytest.raises(TypeError, match="must be a tinyres Optimizer"):
        sched.MultiStepLR(object(), milestones=[1])
