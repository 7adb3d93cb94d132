"""Running the corpus: write every case's file, load them in child processes (runner.py) under
an address-space limit, and rerun one by one whatever a crashed child did not report.

    python -m tests.helpers.hostile.corpus    # from the repository root: the table of outcomes

The table counts, per loader: cases tried, clear errors (the expected one-line message), crashes
(a signal, or no report), silent acceptances (loaded where a refusal was expected) and other
outcomes (a wrong error or a wrong result). It runs whichever tinyres is importable, so the
same corpus measures old code too (PYTHONPATH=...)."""
import json
import os
import subprocess
import sys
import tempfile

from . import cifar_cases, npz_cases, pth_cases

HEADROOM_MIB = 512  # the children's address space: what a warm import uses, plus this
RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runner.py")
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
       "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def all_cases():
    return pth_cases.cases() + cifar_cases.cases() + npz_cases.cases()


def run(cases, folder, timeout=120):
    """{case name: record} (runner.py's JSON, or {"status": "crash", ...}) for every case."""
    table = [(c.loader, c.write(folder)) for c in cases]
    cases_file = os.path.join(folder, "cases.json")
    with open(cases_file, "w") as f:
        json.dump(table, f)
    records, ready = _child(cases_file, range(len(cases)), timeout)
    for i in range(len(cases)):  # a crash ends the batch: rerun the rest one by one
        if i not in records:
            again, _ = _child(cases_file, [i], timeout)
            records[i] = again.get(i, {"status": "crash", "returncode": again.get("rc")})
    return {c.key: {**records[i], "baseline_kb": ready.get("baseline_kb")}
            for i, c in enumerate(cases)}


def _child(cases_file, indices, timeout):
    """({index: record}, the child's ready line) for one child process."""
    command = [sys.executable, RUNNER, cases_file, ",".join(map(str, indices)),
               str(HEADROOM_MIB)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV)
        out, rc = done.stdout, done.returncode
    except subprocess.TimeoutExpired as expired:
        out, rc = (expired.stdout or b"").decode(), "timeout"
    records, ready = {}, {}
    for line in out.splitlines():
        record = json.loads(line)
        if "ready" in record:
            ready = record
        else:
            records[record["index"]] = record
    if rc != 0 and len(indices) == 1 and not records:
        records["rc"] = rc
    return records, ready


def verdict(case, record):
    """'clear', 'ok', 'crash', 'silent' or 'other: ...' for one case's record."""
    want, detail = case.expect
    status = record["status"]
    if status == "crash":
        return "crash"
    if want == "ok":
        return "ok" if status == "ok" and record["digest"] == detail else f"other: {record}"
    if status == "ok":
        return "silent"
    import re
    message = record["message"]
    if record["type"] == "BadFileError" and re.search(detail, message) and "\n" not in message:
        return "clear"
    return f"other: {record['type']}: {message[:300]}"


def plain_verdict(case, record):
    """The verdict without our expected messages (to measure any code, old code included):
    'clear' is any one-line ValueError that names the file; 'unclear' any other exception."""
    v = verdict(case, record)
    if v.startswith("other: ") and record["status"] == "error":
        named = os.path.basename(case.filename) in record["message"]
        clear = named and "\n" not in record["message"] and record["type"] in (
            "ValueError", "BadFileError")
        return "clear" if clear else "unclear"
    return v


COLUMNS = ("tried", "loaded (controls)", "clear errors", "unclear errors", "crashes",
           "silent acceptances", "wrong results")


def table(cases, records, judge=plain_verdict):
    """{loader: counts in COLUMNS order} and the list of (case, verdict) not as expected."""
    rows, odd = {}, []
    slot = {"ok": 1, "clear": 2, "unclear": 3, "crash": 4, "silent": 5}
    for case in cases:
        v = judge(case, records[case.key])
        row = rows.setdefault(case.loader, [0] * len(COLUMNS))
        row[0] += 1
        row[slot.get(v, 6)] += 1
        if v not in ("clear", "ok"):
            odd.append((case.key, v))
    return rows, odd


def main():
    cases = all_cases()
    with tempfile.TemporaryDirectory() as folder:
        records = run(cases, folder)
    rows, odd = table(cases, records)
    print("| loader | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for loader, counts in rows.items():
        print(f"| {loader} | " + " | ".join(map(str, counts)) + " |")
    for name, v in odd:
        print(f"  {name}: {v[:160]}")


if __name__ == "__main__":
    main()
