"""The settings that decide where a training run goes, recorded in its checkpoint and checked when
the run is resumed.

A checkpoint holds the state after some epochs; the epochs still to come depend on the settings
the run is resumed with. Resumed with another model, batch size, optimizer or schedule, a run
would silently become a different run (or crash on the saved state), so `--resume` compares the
settings it is given with the recorded ones and refuses a difference, naming the field and both
values. Settings that do not change the trajectory (where the data or checkpoints live, the
device, the progress bar) may change; the run says what happens then.

    settings = from_args(args, world_size)          # recorded as the checkpoint's "config"
    notes = check_resume(saved_config, settings)    # ValueError on a difference
"""

FORMAT = 1  # the version of this record; checkpoints before it record model, data, seed only
# every setting a resumed run must share with the run that wrote the checkpoint
TRAJECTORY = ("model", "data", "optimizer", "lr", "momentum", "weight_decay", "schedule",
              "warmup_epochs", "epochs", "batch_size", "world_size", "seed")
# schedules whose learning rates depend on the total number of epochs
EPOCH_SCHEDULES = ("cosine", "multistep")


def from_args(args, world_size):
    """The run's settings as a plain dict: the one place where they are listed."""
    return {"settings_format": FORMAT, "model": args.model, "data": args.data,
            "optimizer": args.optimizer, "lr": args.lr, "momentum": args.momentum,
            "weight_decay": args.weight_decay, "schedule": args.schedule,
            "warmup_epochs": args.warmup_epochs, "epochs": args.epochs,
            "batch_size": args.batch_size, "world_size": world_size, "seed": args.seed,
            "device": str(args.device or "cpu")}


def check_resume(saved, current):
    """Compare a checkpoint's recorded settings (its "config") with this run's. Returns notes
    to print (what happens for harmless changes); ValueError naming the first difference that
    would change the run."""
    if not isinstance(saved, dict) or saved.get("settings_format") != FORMAT:
        return ["note: the checkpoint does not record its run's settings (written by an older"
                " tinyres); they are not checked: resume with the settings it was started with"]
    notes = []
    for field in TRAJECTORY:
        theirs, ours = saved.get(field), current[field]
        if theirs == ours and type(theirs) is type(ours):
            continue
        if field == "epochs" and current["schedule"] not in EPOCH_SCHEDULES:
            notes.append(f"note: --epochs {ours} (the checkpoint's run was for {theirs}): the"
                         f" {current['schedule']} schedule does not depend on it; training"
                         f" continues to epoch {ours}")
            continue
        raise ValueError(_refusal(field, theirs, ours, current))
    if saved.get("device") != current["device"]:
        notes.append(f"note: the checkpoint was written on {saved.get('device')}; the run"
                     f" continues on {current['device']} (the same steps, rounded by another"
                     " device's kernels: not bit-for-bit the same)")
    return notes


def _refusal(field, theirs, ours, current):
    flag = "--" + field.replace("_", "-")
    name, fix = flag, f"{flag} {theirs}"
    if field == "world_size":
        name, fix = "the number of processes", f"mpiexec -n {theirs}"
    why = ""
    if field == "epochs":
        why = (f" (the {current['schedule']} schedule spans the run's epochs, so a longer or"
               " shorter run is another run)")
    return (f"--resume: {name} is {ours} but the checkpoint's run used {theirs}{why}; resume"
            f" with {fix}, or start a new run (another --checkpoint-dir)")
