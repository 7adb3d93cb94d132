"""Checks on a training checkpoint before a run resumes from it.

tinyres.load proves that a checkpoint is a well-formed file; this module proves that it is a
sensible training state: every field save() wrote is there, of its type and in its range (the
epoch between 0 and the run's epochs, one history record per epoch, a loader position and an RNG
state of the right shape, a schedule state exactly when the run has a schedule). A damaged or
hand-edited checkpoint is refused naming the field, instead of training on from nonsense (an
epoch of -3 trained as "epoch -2"; an epoch of 10**9 "finished" without a step). The model's,
optimizer's and scheduler's own load_state_dict check their entries in the same spirit.
"""
FIELDS = {"model": (dict,), "optimizer": (dict,), "scheduler": (dict, type(None)),
          "loader": (dict,), "rng": (dict,), "epoch": (int,), "history": (list,),
          "config": (dict,)}
LOADER_INTS = ("epoch", "batch", "seed", "batch_size", "num_samples", "num_replicas")


def check_state(state, path, epochs=None, has_scheduler=None):
    """ValueError naming the first field of the checkpoint `state` (read from path) that is
    missing, of the wrong type or out of range. epochs: the run's epochs (the saved epoch must
    be in [0, epochs]); has_scheduler: whether the run steps a schedule."""
    def refuse(field, expected, value):
        shown = repr(value) if isinstance(value, (int, float, str, type(None))) \
            else f"a {type(value).__name__}"
        raise ValueError(f"checkpoint {str(path)!r}: field {field!r} must be {expected}, got"
                         f" {shown[:60]}")

    if type(state) is not dict:
        refuse("(top level)", "a dict of training state", state)
    for field, kinds in FIELDS.items():
        if field not in state:
            raise ValueError(f"checkpoint {str(path)!r}: no field {field!r}; it was not written"
                             " by `tinyres train` (or tinyres.train.fit)")
        if type(state[field]) not in kinds:
            refuse(field, " or ".join(kind.__name__ for kind in kinds), state[field])
    epoch = state["epoch"]
    if epoch < 0 or (epochs is not None and epoch > epochs):
        refuse("epoch", f"an int in [0, {epochs}] (the run's epochs)", epoch)
    history = state["history"]
    if len(history) != epoch or not all(type(r) is dict for r in history):
        refuse("history", f"a list of {epoch} records (one per epoch done)", len(history))
    for key in LOADER_INTS:
        value = state["loader"].get(key)
        if type(value) is not int or value < 0:
            refuse(f"loader.{key}", "an int >= 0", value)
    rng = state["rng"]
    if rng.get("bit_generator") != "PCG64" or type(rng.get("state")) is not dict:
        refuse("rng", "a PCG64 generator state", rng.get("bit_generator"))
    if has_scheduler is not None and has_scheduler != (state["scheduler"] is not None):
        saved = "a schedule's state" if state["scheduler"] is not None else "no schedule state"
        run = "steps a schedule" if has_scheduler else "has no schedule"
        raise ValueError(f"checkpoint {str(path)!r} holds {saved} but this run {run}")
