"""The experiments' committed results (benchmarks/experiments/results/) and every figure the docs
quote from them: the tables and sentences of RESULTS-degradation.md and the tutorial are
rendered here from the committed JSON, so a result that changes without its text (or a text
edited by hand) fails. The runs themselves take an hour; tests/experiments/ runs the same code
on a tiny budget."""
import csv
import json
import os

import pytest

from tests.helpers.paths import ROOT

RESULTS = os.path.join(ROOT, "benchmarks", "experiments", "results")
DEGRADATION_MD = os.path.join(ROOT, "benchmarks", "experiments", "RESULTS-degradation.md")
TUTORIAL = os.path.join(ROOT, "docs", "tutorial.md")
MODELS = ("cifar_plain20", "cifar_plain56", "cifar_resnet20", "cifar_resnet56")


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _json(*parts):
    with open(os.path.join(RESULTS, *parts), encoding="utf-8") as f:
        return json.load(f)


def pct(fraction, digits=1):
    """0.0123 -> '1.2%' (digits after the point)."""
    return f"{100 * fraction:.{digits}f}%"


def spread(stats, digits):
    """{'mean', 'min', 'max'} -> '1.2% (0.9-1.5%)'."""
    low = f"{100 * stats['min']:.{digits}f}"
    return f"{pct(stats['mean'], digits)} ({low}-{pct(stats['max'], digits)})"


def degradation_rows(summary):
    """The final-error table of RESULTS-degradation.md, one markdown row per model."""
    rows = []
    for name in MODELS:
        model = summary["models"][name]
        minutes = [run["seconds"] / 60 for run in model["per_seed"].values()]
        rows.append(f"| {name} | {spread(model['train_error'], 2)} |"
                    f" {spread(model['test_error'], 1)} | {min(minutes):.1f}-{max(minutes):.1f} |")
    return rows


def test_degradation_csv_json_and_seeds_agree():
    summary = _json("degradation.json")
    with open(os.path.join(RESULTS, "degradation.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    last = summary["recipe"]["iterations"]
    assert summary["seeds"] == [0, 1, 2]
    for name in MODELS:
        per_seed = summary["models"][name]["per_seed"]
        assert sorted(per_seed) == ["0", "1", "2"]
        for seed, run in per_seed.items():
            final = [r for r in rows if r["model"] == name and r["seed"] == seed
                     and int(r["iteration"]) == last]
            assert len(final) == 1
            assert float(final[0]["train_error"]) == pytest.approx(run["train_error"])
            assert float(final[0]["test_error"]) == pytest.approx(run["test_error"])


def test_the_degradation_table_is_the_committed_run():
    text = _read(DEGRADATION_MD)
    for row in degradation_rows(_json("degradation.json")):
        assert row in text, f"RESULTS-degradation.md lacks the row {row!r}"


def _mean_train_error_at(rows, name, iteration):
    values = [float(r["train_error"]) for r in rows
              if r["model"] == name and int(r["iteration"]) == iteration]
    assert len(values) == 3
    return sum(values) / 3


def degradation_claims():
    """Each figure the text of RESULTS-degradation.md quotes, as it must be written."""
    summary = _json("degradation.json")
    with open(os.path.join(RESULTS, "degradation.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    models = summary["models"]
    train = {name: models[name]["train_error"] for name in MODELS}
    seconds = {name: sum(run["seconds"] for run in models[name]["per_seed"].values()) / 3
               for name in MODELS}
    iterations = summary["recipe"]["iterations"]
    per_seed_900 = (seconds["cifar_resnet20"] + seconds["cifar_resnet56"]) / iterations * 900 / 60
    claims = {
        "PLAIN56_TRAIN": spread(train["cifar_plain56"], 2),
        "PLAIN20_TRAIN": spread(train["cifar_plain20"], 2),
        "RESNET56_TRAIN": spread(train["cifar_resnet56"], 2),
        "RESNET20_TRAIN": spread(train["cifar_resnet20"], 2),
        "PER_SEED_900": f"about {per_seed_900:.0f} minutes per seed",
        "THREE_SEEDS_900": f"{3 * per_seed_900:.0f} for three",
    }
    for name, key in (("cifar_resnet56", "EARLY_RESNET56"), ("cifar_plain56", "EARLY_PLAIN56"),
                      ("cifar_resnet20", "EARLY_RESNET20"), ("cifar_plain20", "EARLY_PLAIN20")):
        claims[key] = pct(_mean_train_error_at(rows, name, 150))
    return claims


def test_the_degradation_reading_quotes_the_committed_run():
    text = _read(DEGRADATION_MD)
    for key, figure in degradation_claims().items():
        assert figure in text, f"RESULTS-degradation.md should say {figure!r} ({key})"


def test_the_degradation_reading_holds_for_every_seed():
    """What the text claims seed by seed: the bands of plain-20/plain-56 do not overlap, nor
    those of ResNet-56/plain-56; ResNet-56 ends above ResNet-20 on average."""
    models = _json("degradation.json")["models"]
    train = {name: model["train_error"] for name, model in models.items()}
    assert train["cifar_plain56"]["min"] > train["cifar_plain20"]["max"]
    assert train["cifar_resnet56"]["max"] < train["cifar_plain56"]["min"]
    assert train["cifar_resnet56"]["mean"] > train["cifar_resnet20"]["mean"]
    high, low = train["cifar_resnet56"]["max"], train["cifar_resnet56"]["min"]
    assert f"the\n  highest {high / low:.1f} times the lowest" in _read(DEGRADATION_MD)


def test_the_budget_prediction_quoted_is_the_recipes():
    from benchmarks.experiments.degradation_recipe import (FULL, MODELS as NAMES,
                                                           predicted_seconds, split_models)
    recipe = FULL.replace(iterations=_json("degradation.json")["recipe"]["iterations"])
    minutes = 3 * predicted_seconds(recipe, split_models(NAMES, 2)) / 60
    assert f"predicted {minutes:.0f} minutes for the committed run" in _read(DEGRADATION_MD)


def lesion_claims():
    """Each figure the tutorial's lesion section quotes, as it must be written."""
    models = _json("lesion", "lesion.json")["models"]
    resnet, plain = models["cifar_resnet56"], models["cifar_plain56"]
    single = {row["block"]: row["error"] for row in resnet["single"]}
    late = [e for block, e in single.items() if not block.startswith("layer1.")]
    plain_errors = [row["error"] for row in plain["single"] if row["error"] is not None]

    def random_mean(result, count):
        errors = [row["error"] for row in result["random"] if row["deleted"] == count]
        return pct(sum(errors) / len(errors))
    return {
        "R_FULL": pct(resnet["error"]), "P_FULL": pct(plain["error"]),
        "P_ABOVE_HALF": f"{sum(e > 0.5 for e in plain_errors)} of its {len(plain_errors)}",
        "P_RANDOM_2": random_mean(plain, 2),
        "R_LATE_MIN": pct(min(late)), "R_LATE_MAX": pct(max(late)),
        "R_DOWN_2": pct(single["layer2.0"]), "R_DOWN_3": pct(single["layer3.0"]),
        "R_RANDOM_1": random_mean(resnet, 1), "R_RANDOM_3": random_mean(resnet, 3),
        "R_RANDOM_4": random_mean(resnet, 4), "R_RANDOM_10": random_mean(resnet, 10),
        "R_L10": pct(single["layer1.0"]), "R_L14": pct(single["layer1.4"]),
    }


TUTORIAL_PHRASES = {  # placeholder -> the phrase around it in the tutorial
    "R_FULL": "ResNet-56 errs on {} of the test digits", "P_FULL": "and plain-56 on {}.",
    "P_ABOVE_HALF": "above 50% for {}\n  deletable blocks",
    "P_RANDOM_2": "two blocks deleted at random give {} on\n  average",
    "R_LATE_MIN": "leaves an error between {} and", "R_LATE_MAX": "and {}; the two",
    "R_DOWN_2": "give {} and", "R_DOWN_3": "and {}. One block",
    "R_RANDOM_1": "at random\n  gives {} on average", "R_RANDOM_10": "({} with ten)",
    "R_RANDOM_3": "({} with three,", "R_RANDOM_4": "{} with four)",
    "R_L10": "`layer1.0` gives {}", "R_L14": "`layer1.4` {}:",
}


def test_the_lesion_section_quotes_the_committed_study():
    text = _read(TUTORIAL)
    section = text[text.index("## 12. Residual networks behave like ensembles"):]
    for key, figure in lesion_claims().items():
        phrase = TUTORIAL_PHRASES[key].format(figure)
        assert phrase in section, f"the tutorial's lesion section should say {phrase!r}"


def test_the_lesion_study_is_of_the_degradation_runs_seed_0():
    """The tutorial says which models were lesioned: the degradation run's seed 0, on all the
    test digits; their error with every block in place is that run's final test error."""
    study = _json("lesion", "lesion.json")
    assert study["settings"]["checkpoints"] == ("runs/degradation/cifar_resnet56-seed0.npz,"
                                                "runs/degradation/cifar_plain56-seed0.npz")
    assert study["settings"]["test_limit"] == 0
    degradation = _json("degradation.json")["models"]
    for name in ("cifar_resnet56", "cifar_plain56"):
        final = degradation[name]["per_seed"]["0"]["test_error"]
        assert study["models"][name]["error"] == pytest.approx(final)


def test_the_tutorial_quotes_the_degradation_run():
    text = _read(TUTORIAL)
    section = text[text.index("## 11. The degradation problem"):text.index("## 12.")]
    claims = degradation_claims()
    for key in ("PLAIN56_TRAIN", "PLAIN20_TRAIN", "RESNET56_TRAIN", "RESNET20_TRAIN"):
        assert claims[key] in section, f"the tutorial should quote {claims[key]!r} ({key})"
