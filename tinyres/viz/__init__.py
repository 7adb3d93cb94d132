"""tinyres.viz: tools for seeing how gradients flow through residual networks.

    from tinyres.viz import gradient_flow, plot_gradient_flow, to_dot, render
    flow = gradient_flow(model, x, y)           # gradient norms per block and per layer
    plot_gradient_flow([flow], "flow.png")       # needs matplotlib (pip install matplotlib)
    dot = to_dot(model(x), module=model)         # the autograd graph as Graphviz DOT text
    render(dot, "graph.svg")                     # needs Graphviz's `dot` program

explain_block() (the `tinyres explain` command) walks through the backward pass of one block.
"""
from .gradient_flow import BlockFlow, GradientFlow, LayerFlow, gradient_flow  # noqa: F401
from .probes import BlockProbe, probe_blocks, residual_blocks  # noqa: F401
from .graph import render, to_dot  # noqa: F401
from .plot import plot_gradient_flow  # noqa: F401
from .explain import explain_block  # noqa: F401
