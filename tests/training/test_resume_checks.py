"""A checkpoint is checked before a run resumes from it: a damaged or hand-edited field is refused
by name (tinyres.resume_checks), a scheduler state may set only its own attributes, an optimizer
state only its own buffers, and a model's load_state_dict changes nothing unless every entry
fits."""
import numpy as np
import pytest

import tinyres
from tinyres import data, optim
from tinyres.models import CifarResNet
from tinyres.train import RunConfig, fit, restore

pytest.importorskip("sklearn", reason="digits needs scikit-learn's bundled data")


def _objects(seed=0, adam=False, warmup=False):
    tinyres.manual_seed(seed)
    model = CifarResNet(8, in_channels=1)
    params = model.parameters()
    opt = optim.Adam(params) if adam else optim.SGD(params, lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)
    if warmup:
        warm = optim.lr_scheduler.LinearLR(opt, 0.1, total_iters=1)
        sched = optim.lr_scheduler.SequentialLR(opt, [warm, sched], [1])
    subset = data.ArrayDataset(*data.get_dataset("digits", "train").get_batch(np.arange(128)))
    loader = data.DataLoader(subset, 64, shuffle=True, seed=3)
    return model, opt, sched, loader


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A real one-epoch checkpoint (tiny model, 128 digits) and its loaded state."""
    folder = tmp_path_factory.mktemp("run")
    model, opt, sched, loader = _objects()
    run = RunConfig(1, checkpoint_dir=folder, show_progress=False, log=lambda line: None)
    fit(model, opt, loader, run, scheduler=sched)
    return folder / "last.npz", tinyres.load(folder / "last.npz")


def _restore_edited(tmp_path, saved, edit, **objects):
    state = tinyres.load(saved[0])
    edit(state)
    path = tmp_path / "edited.npz"
    tinyres.save(state, path)
    model, opt, sched, loader = _objects(**objects)
    return restore(path, model, opt, sched, loader, epochs=3)


@pytest.mark.parametrize("edit,message", [
    (lambda s: s.update(epoch=-3), r"field 'epoch' must be an int in \[0, 3\].*got -3"),
    (lambda s: s.update(epoch=10**9), r"field 'epoch' must be .*got 1000000000"),
    (lambda s: s.update(epoch=True), "field 'epoch' must be int, got True"),
    (lambda s: s.update(history=[]), "field 'history' must be a list of 1 records"),
    (lambda s: s.pop("rng"), "no field 'rng'"),
    (lambda s: s["loader"].update(batch=-1), "field 'loader.batch' must be an int >= 0"),
    (lambda s: s.update(rng={"bit_generator": "MT19937", "state": {}}), "field 'rng'"),
    (lambda s: s.update(scheduler=None), "holds no schedule state but this run steps a"),
    (lambda s: s["scheduler"].update(optimizer="x"), r"expected the keys \['T_max'"),
    (lambda s: s["scheduler"].update(T_max=1.5), "'T_max' must be of type int, got 1.5"),
    (lambda s: s["scheduler"].update(base_lrs=[0.1, 0.2]), "'base_lrs' must be a list of 1"),
    (lambda s: s["optimizer"]["state"][0].update(momentum_buffer=np.zeros(3)),
     r"state\[0\]\['momentum_buffer'\] has shape \(3,\)"),
    (lambda s: s["optimizer"]["state"][0].update(momentum_buffer=3), "must be an array"),
])
def test_an_edited_checkpoint_is_refused_naming_the_field(edit, message, saved, tmp_path):
    with pytest.raises(ValueError, match=message):
        _restore_edited(tmp_path, saved, edit)


@pytest.mark.parametrize("objects,message", [
    ({"adam": True}, r"Adam.load_state_dict: param group 0 has the settings \['dampening'"),
    ({"warmup": True}, "SequentialLR.load_state_dict: expected the keys"),
])
def test_a_state_of_another_optimizer_or_schedule_is_refused(objects, message, saved, tmp_path):
    with pytest.raises(ValueError, match=message):
        _restore_edited(tmp_path, saved, lambda s: None, **objects)


def test_the_unedited_checkpoint_restores(saved, tmp_path):
    history, start = _restore_edited(tmp_path, saved, lambda s: None)
    assert start == 1 and len(history) == 1


def test_load_state_dict_is_all_or_nothing():
    model = CifarResNet(8, in_channels=1)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state = {k: v.numpy() + 1 for k, v in model.state_dict().items()}
    last = list(state)[-1]
    state[last] = np.array(["x"] * state[last].size).reshape(state[last].shape)
    with pytest.raises(ValueError, match=f"{last}: dtype <U1 cannot be loaded into"):
        model.load_state_dict(state)
    for k, v in model.state_dict().items():  # not one of the earlier entries was written
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    counter = [k for k in state if k.endswith("num_batches_tracked")][0]
    state[last] = before[last]
    state[counter] = np.array(2.5)
    with pytest.raises(ValueError, match="float64 cannot be loaded into int64"):
        model.load_state_dict(state)


def test_settings_check_names_the_field_and_says_what_harmless_changes_do():
    from tinyres.train_settings import check_resume
    saved = {"settings_format": 1, "model": "m", "data": "d", "optimizer": "sgd", "lr": 0.1,
             "momentum": 0.9, "weight_decay": 0.0, "schedule": "constant", "warmup_epochs": 0,
             "epochs": 4, "batch_size": 8, "world_size": 2, "seed": 0, "device": "cuda"}
    with pytest.raises(ValueError, match="the number of processes is 1 but the checkpoint's"
                                         " run used 2; resume with mpiexec -n 2"):
        check_resume(saved, {**saved, "world_size": 1})
    notes = check_resume(saved, {**saved, "epochs": 6, "device": "cpu"})
    assert "training continues to epoch 6" in notes[0] and "continues on cpu" in notes[1]
    assert check_resume(saved, dict(saved)) == []
    assert "does not record its run's settings" in check_resume({"model": "m"}, saved)[0]
