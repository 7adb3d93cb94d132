"""plot_lesions: the two pictures of a lesion study (Veit et al. 2016, Fig. 3 and 5), side by side.

Left: test error after deleting one block, against the block deleted (1 = nearest the input);
the dashed line of each model's colour is its error with every block in place; the grey bands
mark the downsampling blocks (the first of a stage), which a plain net cannot lose (x on the
axis). Right: test error against
the number of blocks deleted at random: the mean over the draws, and a band from the best to
the worst draw. A dotted line marks chance (90% error on 10 classes).
"""
from collections import defaultdict

from .deps import pyplot


def plot_lesions(results, path, title=None, dpi=80, classes=10):
    """results: {model: {'error': e, 'single': [rows], 'random': [rows]}} as written by
    `tinyres lesion` (errors are fractions); draws into path and returns it."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    chance = 100 * (1 - 1 / classes)
    for i, (model, result) in enumerate(results.items()):
        color = colors[i % len(colors)]
        _single(left, model, result, color)
        _random(right, model, result, color)
    first = next(iter(results.values()))["single"]
    label = "downsampling block (first of a stage)"
    for row in first:
        if row["downsampling"]:
            left.axvspan(row["index"] - 0.5, row["index"] + 0.5, color="0.85", lw=0, label=label)
            label = None  # one legend entry for all bands
    for ax in (left, right):
        ax.axhline(chance, color="gray", ls=":", lw=1, label=f"chance ({chance:.0f}%)")
        ax.set_ylim(0, 100)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.set_ylabel("test error (%)")
    left.set(xlabel="block deleted (1 = nearest the input)",
             title="Deleting one block at test time")
    right.set(xlabel="number of blocks deleted at random",
              title="Deleting several blocks: mean, and best to worst draw")
    handles, labels = [], []
    for ax in (left, right):
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.045 * -(-len(handles) // 3), 1, 1))
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _single(ax, model, result, color):
    rows = result["single"]
    ax.plot([r["index"] for r in rows],
            [float("nan") if r["error"] is None else 100 * r["error"] for r in rows],
            color=color, marker=".", lw=1.5, label=f"{model}: one block deleted")
    ax.axhline(100 * result["error"], color=color, ls="--", lw=1,
               label=f"{model}, no block deleted")
    fixed = [r["index"] for r in rows if not r["deletable"]]
    if fixed:
        ax.plot(fixed, [0] * len(fixed), "x", color=color, ms=7, clip_on=False,
                label=f"{model}: cannot be deleted (shape changes)")


def _random(ax, model, result, color):
    by_count = defaultdict(list)
    for row in result["random"]:
        by_count[row["deleted"]].append(100 * row["error"])
    counts = sorted(by_count)
    if not counts:
        return
    ax.fill_between(counts, [min(by_count[c]) for c in counts],
                    [max(by_count[c]) for c in counts], color=color, alpha=0.2, lw=0)
    ax.plot(counts, [sum(by_count[c]) / len(by_count[c]) for c in counts], color=color,
            marker=".", lw=1.5, label=f"{model}: mean of {len(by_count[counts[0]])} draws, band"
                                      " from best to worst")
