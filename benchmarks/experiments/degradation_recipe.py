"""The one training recipe of the degradation experiment, its budget, and how the budget was set.

He et al. train CIFAR-10 with SGD, momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 at 50%
and 75% of the iterations, batch 128. Here the same shape of schedule is fitted to a CPU budget:
the full run must finish in under 45 minutes on an unloaded 2-core machine.

How the budget was chosen: `python -m benchmarks.experiments.degradation --time` measures each
model's seconds per training iteration (batch loading included; best of 5 after 2 warm-ups) and
one pass over the 1,000 test digits, in the run's own configuration: two worker processes of one
thread each. It reports CPU time (process_time), which counts only what the process itself ran,
so it stays meaningful on a machine shared with other jobs: a single-threaded worker that has a
core to itself takes about that long in wall-clock time. SECONDS_PER_ITERATION below holds those
figures; predicted_seconds() adds them up for a recipe: the slower worker sets the duration (a
best-of-5 figure: the committed three-seed run took 1.2 times its prediction,
RESULTS-degradation.md).
"""
from dataclasses import asdict, dataclass, replace

MODELS = ("cifar_plain20", "cifar_plain56", "cifar_resnet20", "cifar_resnet56")

# CPU seconds (process_time) per training iteration at batch 128 and per pass over the 1,000
# test digits, one thread per process, with the direct 3x3 convolutions of issue 13
# (`--time --batch-size 128` on a quiet machine; RESULTS-degradation.md)
SECONDS_PER_ITERATION = {
    "cifar_plain20": 0.33, "cifar_plain56": 0.91, "cifar_resnet20": 0.33, "cifar_resnet56": 1.02,
}
SECONDS_PER_TEST_PASS = {
    "cifar_plain20": 0.75, "cifar_plain56": 2.1, "cifar_resnet20": 0.8, "cifar_resnet56": 2.3,
}
MEASURED_BATCH = 128


@dataclass(frozen=True)
class Recipe:
    """Everything that defines a run; milestones are fractions of the iterations where the lr
    is divided by 10; test_limit evaluates on an evenly spread subset of the test digits."""

    iterations: int
    batch_size: int
    eval_every: int
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    milestones: tuple = (0.5, 0.75)
    seed: int = 0
    test_limit: int = 0

    def replace(self, **changes):
        """A copy with the given fields changed (None leaves a field as it is)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self):
        return asdict(self)


# He et al.'s batch and learning rate; 900 iterations = 28.8 epochs of the 4,000 digits
FULL = Recipe(iterations=900, batch_size=128, eval_every=50)
QUICK = Recipe(iterations=2, batch_size=16, eval_every=1, test_limit=50)


def split_models(names, jobs):
    """names in `jobs` groups of about equal predicted time (longest first, to the least
    loaded group): with the four models, one 20-layer and one 56-layer net per worker."""
    groups, loads = [[] for _ in range(jobs)], [0.0] * jobs
    for name in sorted(names, key=lambda n: -SECONDS_PER_ITERATION.get(n, 0.0)):
        least = loads.index(min(loads))
        groups[least].append(name)
        loads[least] += SECONDS_PER_ITERATION.get(name, 0.0)
    return [sorted(g, key=list(names).index) for g in groups if g]


def predicted_seconds(recipe, groups, timings=None):
    """Seconds a run of recipe should take with one worker per group of model names: the
    slowest worker's iterations x seconds per iteration (scaled by the batch size) + evaluations
    x seconds per test pass. timings: measured {name: {'iteration_cpu', 'test_pass_cpu'}}
    (default: the figures above)."""
    evaluations = -(-recipe.iterations // recipe.eval_every)
    test_share = recipe.test_limit / 1000 if recipe.test_limit else 1.0
    worst = 0.0
    for group in groups:
        total = 0.0
        for name in group:
            if timings is not None:
                per_iteration = timings[name]["iteration_cpu"]
                per_test = timings[name]["test_pass_cpu"]
            else:
                per_iteration = SECONDS_PER_ITERATION[name] * recipe.batch_size / MEASURED_BATCH
                per_test = SECONDS_PER_TEST_PASS[name]
            total += recipe.iterations * per_iteration + evaluations * per_test * test_share
        worst = max(worst, total)
    return worst
