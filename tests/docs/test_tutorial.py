"""docs/tutorial.md: every ```python block runs, in order, in one namespace, in a scratch folder;
every ```text block of `tinyres explain` output is what explain prints now; the pictures it shows
exist and stay small. (tests/docs/test_tutorial_figures.py checks the numbers quoted from pictures,
tests/nn_models/test_vgg.py the `summary --compare` table.)"""
import os
import re

import pytest
from tests.helpers.paths import ROOT

TUTORIAL = os.path.join(ROOT, "docs", "tutorial.md")


def python_blocks(text):
    """The contents of the ```python blocks, in order."""
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.M | re.S)


def test_every_python_block_of_the_tutorial_runs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib", reason="the tutorial draws pictures: pip install matplotlib")
    with open(TUTORIAL, encoding="utf-8") as f:
        blocks = python_blocks(f.read())
    assert len(blocks) >= 8
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__tutorial__"}
    for i, block in enumerate(blocks, 1):
        exec(compile(block, f"{TUTORIAL}:python-block-{i}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "max |difference| = 0.0e+00" in out and "BasicBlock: |dL/dy|" in out
    assert (tmp_path / "flow.png").exists() and (tmp_path / "block.dot").exists()


def test_the_tutorial_pictures_exist_and_are_small():
    with open(TUTORIAL, encoding="utf-8") as f:
        images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", f.read())
    assert images
    for image in images:
        path = os.path.join(ROOT, "docs", image)
        assert os.path.isfile(path), image
        assert os.path.getsize(path) < 150_000, image


def test_every_explain_excerpt_is_what_explain_prints():
    from tinyres.viz.explain import explain_block
    with open(TUTORIAL, encoding="utf-8") as f:
        excerpts = re.findall(r"^```text\n(.*?)^```$", f.read(), flags=re.M | re.S)
    out = explain_block().splitlines()
    explained = [e for e in excerpts if not e.startswith("model ")]  # the compare table
    assert len(explained) == len(excerpts) - 1 >= 3
    for excerpt in explained:
        for line in excerpt.splitlines():
            assert line in out, f"tinyres explain no longer prints {line!r}"
