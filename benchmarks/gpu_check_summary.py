"""The last step of gpu_check.sh: one short report of what the run brought back, read from the
files it wrote in OUT (steps.jsonl, tests.jsonl, bench_gpu_model.json, bench_gpu_kernels.json),
so that the end of the log says it all even when a step was cut short.

    python -m benchmarks.gpu_check_summary OUT
"""
import collections
import json
import os
import sys


def read_lines(path):
    """The JSON objects of a JSON-lines file (a last line cut by a kill is skipped)."""
    if not os.path.exists(path):
        return []
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return rows


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def steps(out):
    print(f"{'step':<28} {'limit s':>7} {'took s':>6}  result")
    for row in read_lines(os.path.join(out, "steps.jsonl")):
        print(f"{row['step']:<28} {row['limit_s']:>7} {row['seconds']:>6}  {row['result']}")


def tests(out):
    rows = read_lines(os.path.join(out, "tests.jsonl"))
    counts = collections.defaultdict(collections.Counter)
    for row in rows:
        counts[row["step"]][row["outcome"]] += 1
    for step, count in counts.items():
        print(f"tests, {step}: " + ", ".join(f"{n} {outcome}" for outcome, n in
                                            sorted(count.items())))
    failures = [row for row in rows if row["outcome"] == "failed"]
    for row in failures[:10]:
        print(f"  FAILED {row['test']} ({row['when']}): {row.get('message', '')[:200]}")
    if len(failures) > 10:
        print(f"  ... and {len(failures) - 10} more failures (tests.jsonl)")


def model(out):
    report = read_json(os.path.join(out, "bench_gpu_model.json"))
    if report is None:
        print("model step: no result")
        return
    print(f"{report['model']} training step, batch {report['batch']} at {report['size']}, on"
          f" {report['device']}: tinyres {report['tinyres_ms']:.1f} ms, torch"
          f" {report['torch_ms']:.1f} ms, ratio {report['ratio']:.2f} (target <="
          f" {report['target_ratio']}); first losses differ by"
          f" {report['first_loss']['relative_difference']:.1e}")


def kernels(out):
    report = read_json(os.path.join(out, "bench_gpu_kernels.json"))
    if report is None:
        print("kernel timings: no result")
        return
    print(f"kernels on {report['device']} ({report['statistic']}):")
    for row in report["results"]:
        if "error" in row:
            print(f"  {row['kernel']:<24} {row['shape']:<32} FAILED {row['error'][:80]}")
        else:
            print(f"  {row['kernel']:<24} {row['shape']:<32} {row['tinyres_ms']:9.3f}"
                  f" {row['torch_ms']:9.3f} {row['ratio']:6.2f}")


def main(argv=None):
    out = (argv or sys.argv[1:] or ["gpu_out"])[0]
    for part in (steps, tests, model, kernels):
        part(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
