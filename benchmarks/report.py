"""Output of the benchmarks: a terminal table, a JSON file and a bar chart of the ratios."""
import json
import sys


def table(rows, title, peak=None):
    """Print rows (dicts with name, tinyres, torch, ratio and optional gflops/memory) aligned;
    with peak (the machine's FMA peak in GFLOP/s), each side's share of it too."""
    print(f"\n{title}")
    head = (f"{'case':44s} {'tinyres ms':>11s} {'torch ms':>10s} {'ratio':>6s}"
            f" {'GF/s ours':>9s} {'GF/s torch':>10s}")
    if peak:
        head += f" {'%peak ours':>10s} {'%peak torch':>11s}"
    if any("peak_mb" in r for r in rows):
        head += f" {'peak MB ours':>12s} {'peak MB torch':>13s}"
    print(head)
    print("-" * len(head))
    for r in rows:
        line = (f"{r['name'][:44]:44s} {r['tinyres'] * 1e3:11.2f} {r['torch'] * 1e3:10.2f}"
                f" {r['ratio']:6.2f} {_gflops(r, 'tinyres'):>9s} {_gflops(r, 'torch'):>10s}")
        if peak:
            line += f" {_share(r, 'tinyres', peak):>10s} {_share(r, 'torch', peak):>11s}"
        if "peak_mb" in r:
            line += f" {r['peak_mb']['tinyres']:12.0f} {r['peak_mb']['torch']:13.0f}"
        print(line)
    sys.stdout.flush()


def _gflops(row, side):
    flops = row.get("flops")
    return f"{flops / row[side] / 1e9:.1f}" if flops else "-"


def _share(row, side, peak):
    flops = row.get("flops")
    return f"{100 * flops / row[side] / 1e9 / peak:.0f}%" if flops else "-"


def write_json(path, payload):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=1, default=float)
    print(f"wrote {path}")


def bar_chart(path, rows, title):
    """Horizontal bars of tinyres / PyTorch per case, with the parity line at 1."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: no chart written to {path}"
              " (pip install matplotlib)", file=sys.stderr)
        return
    names = [r["name"] for r in rows]
    ratios = [r["ratio"] for r in rows]
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(rows) + 1.5))
    colors = ["tab:green" if v <= 1.0 else "tab:orange" if v <= 1.2 else "tab:red"
              for v in ratios]
    ax.barh(range(len(rows)), ratios, color=colors)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(names, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("time tinyres / time PyTorch eager (lower is better)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")
