"""Optional dependencies of tinyres.viz: matplotlib (pictures) and Graphviz's `dot` (graphs)."""
import shutil

MATPLOTLIB_INSTALL = "pip install matplotlib  (or: pip install 'tinyres[viz]')"
GRAPHVIZ_INSTALL = ("install Graphviz (apt-get install graphviz, brew install graphviz or conda"
                    " install graphviz)")


def pyplot():
    """matplotlib.pyplot with the file-only Agg backend; ImportError naming the install."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(f"drawing pictures needs matplotlib, which is not installed:"
                          f" {MATPLOTLIB_INSTALL}") from error
    matplotlib.use("Agg")  # write files; never open a window
    import matplotlib.pyplot as plt
    return plt


def dot_program():
    """The path of Graphviz's `dot`; FileNotFoundError saying how to get it."""
    path = shutil.which("dot")
    if path is None:
        raise FileNotFoundError(f"rendering a graph needs Graphviz's `dot` program, which is not"
                                f" on PATH: {GRAPHVIZ_INSTALL}; or save the DOT text to a .dot"
                                f" file and open it in any Graphviz viewer")
    return path
