"""The degradation problem (He et al. 2015, Fig. 1 and Fig. 6) on real digits, on a CPU.

    python -m benchmarks.experiments.degradation     # the full run (see RESULTS-degradation.md)
    python -m benchmarks.experiments.degradation --seeds 0 1 2   # three runs each: mean, min-max
    python -m benchmarks.experiments.degradation --quick       # a smoke run of a few seconds
    python -m benchmarks.experiments.degradation --time        # seconds per iteration, a forecast
    python -m benchmarks.experiments.degradation --plot-only   # redraw the png from the csv

cifar_plain20, cifar_plain56, cifar_resnet20 and cifar_resnet56 (1 input channel) are trained
with ONE recipe (degradation_recipe.FULL) on mnist5k: 4,000 real MNIST training digits and 1,000
test digits. A deeper plain net ending with a HIGHER training error than a shallower one is the
degradation problem; the residual nets should not show it. See degradation_train.py for how the
train error (mini-batches, smoothed) and the test error are measured.

--jobs 2 (the default) trains in two worker processes of one thread each, one 20-layer and one
56-layer model per worker (every seed of them, one after the other): on a 2-core machine that
keeps both cores busy without the threads of one process waiting on each other. Writes
degradation.csv (model, seed, iteration, train_error, test_error), degradation.json (recipe,
seeds, per model and seed the seconds and final errors, and their mean, min and max) and
degradation.png (the mean over the seeds, with a band from the lowest to the highest).
"""
import argparse
import csv
import json
import os
import subprocess
import sys

import tinyres

from .degradation_plot import plot_csv
from .degradation_recipe import FULL, MODELS, QUICK, predicted_seconds, split_models
from .degradation_train import time_models, train_model

CSV_FIELDS = ("model", "seed", "iteration", "train_error", "test_error")
FINAL = ("train_error", "test_error")
ONE_THREAD = {name: "1" for name in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def write_csv(rows, path):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def weights_path(save_dir, name, seed):
    """Where --save-dir keeps a trained model's weights (tinyres.save; `tinyres eval` and
    `tinyres lesion --checkpoints` read them)."""
    return os.path.join(save_dir, f"{name}-seed{seed}.npz")


def train_all(recipe, names, out, part, seeds=(0,), log=print, save_dir=None):
    """Train names (each with every seed) one after the other; write part csv + json into
    out (and each trained model's weights into save_dir, if given); returns the summary
    {name: {seed: {seconds, train_error, test_error}}}."""
    rows, summary = [], {}
    for name in names:
        for seed in seeds:
            model_rows, seconds, model = train_model(name, recipe.replace(seed=seed), log)
            if save_dir:
                tinyres.save(model.state_dict(), weights_path(save_dir, name, seed))
            rows += [{**row, "seed": seed} for row in model_rows]
            summary.setdefault(name, {})[str(seed)] = {"seconds": round(seconds, 1), **{
                k: model_rows[-1][k] for k in FINAL}}
            write_csv(rows, os.path.join(out, f"part-{part}.csv"))  # partial results survive
    with open(os.path.join(out, f"part-{part}.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f)
    return summary


def spread(per_seed):
    """{seed: {train_error, test_error, ...}} -> per_seed with the mean, min and max of each."""
    out = {"per_seed": per_seed}
    for key in FINAL:
        values = [v[key] for v in per_seed.values()]
        out[key] = {"mean": sum(values) / len(values), "min": min(values), "max": max(values)}
    return out


def run_workers(args, groups):
    """Run one worker process (one thread) per group of models; wait for all of them."""
    workers = []
    for part, group in enumerate(groups):
        command = [sys.executable, "-m", "benchmarks.experiments.degradation",
                   "--worker", str(part), "--models", ",".join(group), "--out", args.out]
        command += ["--quick"] if args.quick else []
        command += ["--seeds"] + [str(seed) for seed in args.seeds]
        command += ["--time"] if args.time else []
        for flag, value in (("--iterations", args.iterations), ("--batch-size", args.batch_size),
                            ("--save-dir", args.save_dir)):
            command += [] if value is None else [flag, str(value)]
        workers.append(subprocess.Popen(command, env={**os.environ, **ONE_THREAD}))
    failed = [w.args for w in workers if w.wait() != 0]
    if failed:
        raise SystemExit(f"degradation: a worker failed: {' '.join(failed[0])}")


def collect(out, groups, names, suffix):
    """Merge the workers' part files (and delete them): (csv rows in names order, summary)."""
    rows, summary = [], {}
    for part in range(len(groups)):
        base = os.path.join(out, f"part-{part}")
        if suffix == "csv":
            rows += read_csv(base + ".csv")
            os.remove(base + ".csv")
        with open(base + ".json", encoding="utf-8") as f:
            summary.update(json.load(f))
        os.remove(base + ".json")
    rows.sort(key=lambda row: (names.index(row["model"]), int(row.get("seed", 0)),
                               int(row["iteration"])))
    return rows, summary


def run(args, recipe, names):
    """The experiment: train (in workers or here), then write csv, json and png."""
    groups = split_models(names, args.jobs)
    print(f"recipe: {recipe}\nseeds: {args.seeds}\nworkers: {groups}\npredicted: about"
          f" {len(args.seeds) * predicted_seconds(recipe, groups) / 60:.0f} min on an unloaded"
          f" 2-core CPU")
    if args.jobs == 1:
        train_all(recipe, names, args.out, 0, args.seeds, save_dir=args.save_dir)
    else:
        run_workers(args, groups)
    rows, summary = collect(args.out, groups if args.jobs > 1 else [names], list(names), "csv")
    write_csv(rows, os.path.join(args.out, "degradation.csv"))
    with open(os.path.join(args.out, "degradation.json"), "w", encoding="utf-8") as f:
        json.dump({"recipe": recipe.as_dict(), "seeds": list(args.seeds), "jobs": args.jobs,
                   "models": {name: spread(summary[name]) for name in names}}, f, indent=2)
    plot_csv(os.path.join(args.out, "degradation.csv"), os.path.join(args.out, "degradation.png"),
             title=picture_title(recipe.as_dict(), args.seeds))
    print(f"wrote degradation.csv, degradation.json and degradation.png into {args.out}")


def picture_title(recipe, seeds):
    """The picture's title from a recipe dict and the seeds."""
    title = f"mnist5k, batch {recipe['batch_size']}, {recipe['iterations']} iterations"
    return title + (f", seeds {' '.join(map(str, seeds))}" if len(seeds) > 1 else "")


def replot(out):
    """--plot-only: redraw degradation.png from degradation.csv, titled from degradation.json."""
    with open(os.path.join(out, "degradation.json"), encoding="utf-8") as f:
        summary = json.load(f)
    plot_csv(os.path.join(out, "degradation.csv"), os.path.join(out, "degradation.png"),
             title=picture_title(summary["recipe"], summary.get("seeds", [0])))


def measure(args, recipe, names):
    """--time: seconds per iteration and per test pass of every model, and the prediction."""
    groups = split_models(names, args.jobs)
    if args.jobs == 1:
        summary = time_models(recipe, names)
    else:
        run_workers(args, groups)
        summary = collect(args.out, groups, list(names), "json")[1]
    print(f"predicted run of {recipe.iterations} iterations with these timings (CPU seconds):"
          f" {predicted_seconds(recipe, groups, summary) / 60:.1f} min")


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.experiments.degradation",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join("benchmarks", "experiments", "results"),
                   help="output folder")
    p.add_argument("--quick", action="store_true", help="a smoke run (seconds), tiny budget")
    p.add_argument("--time", action="store_true", help="measure seconds per iteration only")
    p.add_argument("--plot-only", action="store_true", help="redraw the png from the csv")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    p.add_argument("--seeds", type=int, nargs="+", default=[0],
                   help="train every model once per seed (default: 0); the picture shows the"
                        " mean and the min-max band")
    p.add_argument("--iterations", type=int, default=None, help="override the budget")
    p.add_argument("--batch-size", type=int, default=None, help="override the batch size")
    p.add_argument("--jobs", type=int, default=2, choices=(1, 2),
                   help="worker processes of one thread each (default: 2); 1: train here")
    p.add_argument("--save-dir", default=None, metavar="DIR",
                   help="keep each trained model's weights there, as MODEL-seedS.npz (for"
                        " `tinyres lesion --checkpoints`)")
    p.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    recipe = (QUICK if args.quick else FULL).replace(iterations=args.iterations,
                                                     batch_size=args.batch_size)
    names = tuple(n.strip() for n in args.models.split(",") if n.strip())
    os.makedirs(args.out, exist_ok=True)
    if args.save_dir:
        os.makedirs(args.save_dir, exist_ok=True)
    if args.worker is not None and args.time:
        with open(os.path.join(args.out, f"part-{args.worker}.json"), "w") as f:
            json.dump(time_models(recipe, names), f)
    elif args.worker is not None:
        train_all(recipe, names, args.out, args.worker, args.seeds, save_dir=args.save_dir)
    elif args.plot_only:
        replot(args.out)
    elif args.time:
        measure(args, recipe, names)
    else:
        run(args, recipe, names)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
