"""What every benchmark script shares: its command-line options and how it reports results."""
import argparse
import datetime
import os

from . import report, timing


def add_arguments(parser):
    parser.add_argument("--threads", type=int, default=int(os.environ.get(
        "TINYRES_BENCH_THREADS", "2")), help="threads for each side (default: 2)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed runs per side, alternating; the median counts (default: 5)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--png", metavar="PATH", help="also draw the ratios as a bar chart")


def description(doc):
    """A module docstring for --help: its prose paragraphs, whole, without the indented command
    lines (argparse prints its own usage line)."""
    return "\n\n".join(p for p in doc.strip().split("\n\n") if not p.startswith("    "))


def bare_parser(doc):
    """An ArgumentParser whose --help shows `doc` (a module docstring) as written."""
    return argparse.ArgumentParser(description=description(doc),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def parser(doc):
    """bare_parser(doc) with the options every timed benchmark takes."""
    p = bare_parser(doc)
    add_arguments(p)
    return p


def start(args, title):
    """Pin the threads and print what the run is about; returns the run's metadata."""
    if args.threads < 1:
        raise ValueError(f"--threads must be at least 1, got {args.threads}")
    if args.repeat < 1:
        raise ValueError(f"--repeat must be at least 1, got {args.repeat}")
    threads = timing.pin_threads(args.threads)
    meta = {"title": title, "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "threads": threads, "repeat": args.repeat, **timing.machine()}
    print(f"{title}\n{meta['date']}  {meta['cpu']} ({meta['cpus']} cpus), load {meta['load_1min']}"
          f"\nthreads: {threads}; median of {args.repeat} alternating runs")
    return meta


def finish(args, meta, rows, title):
    """Print the table and write the JSON and the chart when asked."""
    meta["load_1min_end"] = timing.load()
    report.table(rows, title, meta.get("peak_gflops"))
    print(f"load average at the end: {meta['load_1min_end']}")
    if args.json:
        report.write_json(args.json, {"meta": meta, "rows": rows})
    if args.png:
        report.bar_chart(args.png, rows, f"{title} ({meta['date']})")
