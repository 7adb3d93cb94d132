"""plot_gradient_flow: gradient norms against depth, one line per model, as a PNG.

Left: the norm of dL/dx at each block's input (solid), and for residual models the part of it
that came through the shortcut (dashed) and through the branch (dotted). Right: the norm of each
Conv2d/Linear weight's gradient. Depth runs from the input (left) to the output (right), so the
backward pass travels right to left. Log scale: a vanishing gradient is a line that falls
towards the left, an exploding one a line that rises.
"""
from .deps import pyplot


def plot_gradient_flow(flows, path, title=None, parts=True, dpi=100):
    """Draw GradientFlow results (one or a list) into path (.png, .svg, .pdf); returns path.
    parts: also draw the identity and branch parts of dL/dx for residual models."""
    plt = pyplot()
    flows = [flows] if not isinstance(flows, (list, tuple)) else list(flows)
    if not flows:
        raise ValueError("plot_gradient_flow: argument 'flows' must hold at least one"
                         " GradientFlow, got none")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, flow in enumerate(flows):
        _draw_blocks(left, flow, colors[i % len(colors)], parts)
        _draw_layers(right, flow, colors[i % len(colors)])
    left.set(xlabel="block (1 = nearest the input)", ylabel="gradient norm",
             title="|dL/dx| at each block's input", yscale="log")
    right.set(xlabel="layer (1 = nearest the input)", ylabel="gradient norm",
              title="|dL/dW| of each conv / linear weight", yscale="log")
    for ax in (left, right):
        ax.grid(True, which="major", alpha=0.3)
        ax.annotate("backward pass runs this way", xy=(0.08, 0.03), xytext=(0.62, 0.03),
                    xycoords="axes fraction", fontsize=8, color="gray", va="center",
                    arrowprops={"arrowstyle": "->", "color": "gray"})
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _draw_blocks(ax, flow, color, parts):
    depth = [b.index + 1 for b in flow.blocks]
    ax.plot(depth, [b.grad_input for b in flow.blocks], color=color, lw=2, marker=".",
            label=f"{flow.model}: total")
    if parts and any(b.residual for b in flow.blocks):
        ax.plot(depth, [b.grad_identity or float("nan") for b in flow.blocks], color=color,
                lw=1, ls="--", label=f"{flow.model}: via shortcut")
        ax.plot(depth, [b.grad_branch or float("nan") for b in flow.blocks], color=color, lw=1,
                ls=":", label=f"{flow.model}: via branch")


def _draw_layers(ax, flow, color):
    depth = [layer.index + 1 for layer in flow.layers]
    ax.plot(depth, [layer.weight_grad or float("nan") for layer in flow.layers], color=color,
            lw=1.5, marker=".", label=flow.model)
