"""The `tinyres` command under failures and mistakes, as a table (for the issue's closing note):

    python -m tests.helpers.hostile.cli_cases   # from the repository root; whichever tinyres
                                                # is importable (PYTHONPATH)

Each case runs `python -m tinyres.cli ...` in a fresh process and is counted as a clear error
(exit status 2, one line on stderr), a crash (a signal), a traceback, a silent acceptance (exit 0
where a refusal was due) or late (the error came after a training epoch). The automated checks of
the same behaviour are tests/tools/test_cli_failures.py and tests/training/test_resume_checks.py."""
import os
import shutil
import subprocess
import sys
import tempfile

from ..paths import ROOT
from . import pth_cases
from .case import Case

TRAIN = ["train", "--data", "digits", "--batch-size", "64", "--no-progress", "--epochs", "1"]


def tinyres(argv, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "tinyres.cli", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=600, env=env)


def _edited(folder, name, edit):
    """A copy of base/last.npz with one field changed by `edit` (code run by the tinyres under
    test, so an old tinyres edits its own format)."""
    os.makedirs(os.path.join(folder, name))
    code = ("import tinyres; s = tinyres.load('base/last.npz'); " + edit
            + f"; tinyres.save(s, '{name}/last.npz')")
    subprocess.run([sys.executable, "-c", code], cwd=folder, check=True)
    return name


def cases(folder):
    """[(category, name, argv)] after writing the files the cases need into folder."""
    files = {c.name: c for c in pth_cases.cases()}
    for name in ("stride_wraps_2d", "zero_stride_amplify", "byteorder_garbage"):
        Case.write(files[name], folder)
    with open(os.path.join(folder, "empty.npz"), "wb"):
        pass
    raw = open(os.path.join(folder, "base", "last.npz"), "rb").read()
    open(os.path.join(folder, "cut.npz"), "wb").write(raw[:len(raw) // 2])
    flipped = bytearray(raw)
    flipped[200] ^= 0xFF
    open(os.path.join(folder, "flip.npz"), "wb").write(bytes(flipped))
    open(os.path.join(folder, "a_file"), "w").write("x")
    resume = [*TRAIN, "--checkpoint-dir", "base", "--resume"]
    return [
        ("files", "eval README.md", ["eval", "README.md"]),
        ("files", "eval empty checkpoint", ["eval", "empty.npz"]),
        ("files", "eval truncated checkpoint", ["eval", "cut.npz"]),
        ("files", "eval bit-flipped checkpoint", ["eval", "flip.npz"]),
        ("files", "eval crafted .pth (strides wrap)", ["eval", "stride_wraps_2d.pth", "--model",
                                                       "cifar_resnet20", "--data", "digits"]),
        ("files", "eval crafted .pth (zero stride)", ["eval", "zero_stride_amplify.pth",
                                                      "--model", "cifar_resnet20", "--data",
                                                      "digits"]),
        ("files", "eval .pth with garbage byteorder", ["eval", "byteorder_garbage.pth",
                                                       "--model", "cifar_resnet20", "--data",
                                                       "digits"]),
        ("device", "--device cuda without a GPU", [*TRAIN, "--device", "cuda"]),
        ("paths", "--metrics-out in a missing folder", [*TRAIN, "--metrics-out", "no/m.json",
                                                        "--checkpoint-dir", "p1"]),
        ("paths", "--checkpoint-dir is a file", [*TRAIN, "--checkpoint-dir", "a_file"]),
        ("resume", "--model cifar_plain20", [*resume, "--model", "cifar_plain20"]),
        ("resume", "--schedule constant", [*resume, "--schedule", "constant"]),
        ("resume", "--schedule multistep", [*resume, "--schedule", "multistep"]),
        ("resume", "--optimizer adam", [*resume, "--optimizer", "adam"]),
        ("resume", "--warmup-epochs 1 (2 epochs)", [*resume, "--epochs", "2",
                                                    "--warmup-epochs", "1"]),
        ("resume", "--batch-size 32", [*resume, "--batch-size", "32"]),
        ("fields", "epoch -3", [*TRAIN, "--checkpoint-dir",
                                _edited(folder, "minus3", "s['epoch'] = -3"), "--resume"]),
        ("fields", "epoch 10**9", [*TRAIN, "--checkpoint-dir",
                                   _edited(folder, "huge", "s['epoch'] = 10**9"), "--resume"]),
        ("fields", "scheduler sets another attribute", [
            *TRAIN, "--checkpoint-dir", _edited(folder, "attr", "s['scheduler']['step'] = 1"),
            "--resume"]),
        ("fields", "history of another length", [
            *TRAIN, "--checkpoint-dir", _edited(folder, "hist", "s['history'] = []"),
            "--resume"]),
    ]


def verdict(done):
    err = done.stderr.strip()
    if done.returncode < 0:
        return "crash"
    if "Traceback" in err:
        return "traceback"
    if done.returncode == 0:
        return "silent"
    if "epoch 1:" in done.stdout:
        return "late"
    return "clear" if done.returncode == 2 and err.count("\n") == 0 else "other"


def main():
    folder = tempfile.mkdtemp(prefix="tinyres-cli-cases-")
    try:
        shutil.copy(os.path.join(ROOT, "README.md"), folder)
        base = tinyres([*TRAIN, "--checkpoint-dir", "base"], folder)
        assert base.returncode == 0, base.stderr
        rows = {}
        for category, name, argv in cases(folder):
            done = tinyres(argv, folder)
            v = verdict(done)
            row = rows.setdefault(category, {"tried": 0})
            row["tried"] += 1
            row[v] = row.get(v, 0) + 1
            print(f"{category:7} {name:36} {v:9} {done.stderr.strip().splitlines()[-1:]}"[:230])
        print("| category | tried | clear | crashes | tracebacks | silent | late | other |")
        for category, row in rows.items():
            print(f"| {category} | {row['tried']} | " + " | ".join(str(row.get(k, 0)) for k in (
                "clear", "crash", "traceback", "silent", "late", "other")) + " |")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
