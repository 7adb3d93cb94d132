"""plot_gradient_flow: gradient norms against depth, one colour per model, as a PNG.

Left: the norm of dL/dx at each block's input (solid), and for residual models the part of it
that came through the shortcut (dashed) and through the branch (dotted). Right: the norm of each
Conv2d/Linear weight's gradient. Depth runs from the input (left) to the output (right), so the
backward pass travels right to left. Log scale over whole decades (log_axis.py): a vanishing
gradient is a line that falls towards the left, an exploding one a line that rises; a flat line
stays flat, and exact zeros sit on a line marked 0 with a triangle marker.
"""
import math

from . import log_axis
from .deps import pyplot

BACKWARD = "\u2190 the backward pass runs this way (from the loss at the right)"
ZERO_MARKER = "v"


def plot_gradient_flow(flows, path, title=None, parts=True, dpi=100):
    """Draw GradientFlow results (one or a list) into path (.png, .svg, .pdf); returns path.
    parts: also draw the identity and branch parts of dL/dx for residual models."""
    plt = pyplot()
    flows = [flows] if not isinstance(flows, (list, tuple)) else list(flows)
    if not flows:
        raise ValueError("plot_gradient_flow: argument 'flows' must hold at least one"
                         " GradientFlow, got none")
    from matplotlib.ticker import MaxNLocator
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colors = [colors[i % len(colors)] for i in range(len(flows))]
    panels = ((left, [_block_lines(f, parts) for f in flows], "|dL/dx|"),
              (right, [_layer_lines(f) for f in flows], "|dL/dW|"))
    notes, zeros = [], False
    for ax, lines, what in panels:
        floor = log_axis.apply(ax, [v for model in lines for _, ys, _ in model for v in ys])
        for color, model in zip(colors, lines):
            for label, ys, style in model:
                zeros |= _draw(ax, ys, floor, color, style)
                note = log_axis.flat_note(ys, f"{what} {label}")
                notes += [note] if note else []
                zero_count = sum(1 for v in ys if v == 0)
                if zero_count:
                    notes.append(f"exactly 0: {what} {label} at {zero_count} of {len(ys)}"
                                 " points (triangles on the line marked 0)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, which="major", alpha=0.3)
    left.set(xlabel=f"block (1 = nearest the input)\n{BACKWARD}", ylabel="gradient norm",
             title="|dL/dx| at each block's input")
    right.set(xlabel=f"layer (1 = nearest the input)\n{BACKWARD}", ylabel="gradient norm",
              title="|dL/dW| of each conv / linear weight")
    handles = _legend(plt, flows, colors, parts and any(
        b.residual for f in flows for b in f.blocks), zeros)
    rows = -(-len(handles) // 4)
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.035 * len(notes)))
    for i, note in enumerate(notes):
        fig.text(0.01, 0.01 + 0.035 * (len(notes) - 1 - i), note, fontsize=8, color="dimgray")
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.035 * (len(notes) + rows) + 0.01, 1, 1))
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _legend(plt, flows, colors, parts, zeros):
    """One legend for both panels: a colour per model, then what each line style means."""
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=c, lw=2, marker=".", label=f.model)
               for f, c in zip(flows, colors)]
    if parts:
        handles += [Line2D([], [], color="black", label="total |dL/dx|", **STYLES["total"]),
                    Line2D([], [], color="black", label="part via the shortcut",
                           **STYLES["shortcut"]),
                    Line2D([], [], color="black", label="part via the branch",
                           **STYLES["branch"])]
    if zeros:
        handles.append(Line2D([], [], color="black", marker=ZERO_MARKER, ls="none", mfc="none",
                              label="exactly 0 (on the line marked 0)"))
    return handles


def _block_lines(flow, parts):
    """[(label, values, style)] of the left panel for one model, values per block."""
    lines = [(f"of {flow.model}", [b.grad_input for b in flow.blocks], "total")]
    if parts and any(b.residual for b in flow.blocks):
        lines.append((f"via the shortcut, {flow.model}",
                      [b.grad_identity for b in flow.blocks], "shortcut"))
        lines.append((f"via the branch, {flow.model}", [b.grad_branch for b in flow.blocks],
                      "branch"))
    return lines


def _layer_lines(flow):
    return [(f"of {flow.model}", [layer.weight_grad for layer in flow.layers], "total")]


STYLES = {"total": {"lw": 2, "marker": "."}, "shortcut": {"lw": 1, "ls": "--"},
          "branch": {"lw": 1, "ls": ":"}}


def _draw(ax, values, floor, color, style):
    """One line; its zeros as triangles on the floor line (a gap in the line, not a fall).
    Returns True when it drew zeros."""
    depth = list(range(1, len(values) + 1))
    ax.plot(depth, [v if v > 0 else math.nan for v in values], color=color, **STYLES[style])
    zeros = [d for d, v in zip(depth, values) if v == 0]
    if zeros and floor is not None:
        ax.plot(zeros, [floor] * len(zeros), ZERO_MARKER, color=color, ms=5, ls="none",
                mfc="none")
    return bool(zeros)
