"""docs/tutorial.md: every ```python block runs, in order, in one namespace, in a scratch folder;
the pictures it shows exist and stay small."""
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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
