"""docs/custom_ops.md and docs/check_layer.md: every ```python block runs, in order, in one
namespace; a ```text block right after a python block is that block's output, and must equal a
fresh run exactly (fixed seeds, so nothing is approximate).

Exactly, that is, with the BLAS kernels the outputs were made with (OpenBLAS's SkylakeX ones, as
on the CI machine): another BLAS rounds matrix products differently, which moves the last digits
of the rounding-level errors in the rows that pass. Only there, and only in those rows, the
error, its index and the two values are matched as a pattern.

After a deliberate change to the docs' code, rewrite their outputs with
    python -m tests.docs.test_gradient_docs --write
and read the diff before committing it.
"""
import contextlib
import io
import os
import re
import sys

import numpy as np  # noqa: F401 - loaded, so threadpoolctl can see its BLAS
import pytest
from tests.helpers.paths import ROOT

DOCS = ["custom_ops.md", "check_layer.md"]
# a python block, optionally followed (blank lines between) by the text block of its output
BLOCK = re.compile(r"^```python\n(.*?)^```\n(\s*^```text\n(.*?)^```$)?", flags=re.M | re.S)


def run_doc(text, path):
    """[(python source, shown output or None, fresh output)] for each python block, in order."""
    namespace = {"__name__": "__doc__"}
    results = []
    for i, match in enumerate(BLOCK.finditer(text), 1):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(match.group(1), f"{path}:python-block-{i}", "exec"), namespace)
        results.append((match.group(1), match.group(3), buffer.getvalue()))
    return results, namespace


MADE_WITH_BLAS = "SkylakeX"
PASSING_ROW = re.compile(r"^(  \S+ +\([\d, ]*\) +) *\d\.\de[-+]\d\d  \([\d, ]*\) +\S+ +\S+  ok$",
                         flags=re.M)


def blas_architecture():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return next((i.get("architecture") for i in threadpool_info() if i["user_api"] == "blas"),
                None)


def without_rounding_noise(text):
    """The output with the numbers of check_layer's passing rows replaced by a mark."""
    return PASSING_ROW.sub(lambda m: m.group(1) + "<rounding-level error> ok", text)


def read(name):
    path = os.path.join(ROOT, "docs", name)
    with open(path, encoding="utf-8") as f:
        return f.read(), path


@pytest.mark.parametrize("name", DOCS)
def test_every_block_runs_and_prints_what_the_doc_shows(name):
    text, path = read(name)
    results, namespace = run_doc(text, path)
    assert len(results) >= 5
    shown = [r for r in results if r[1] is not None]
    assert len(shown) >= 4, "the doc shows the output of its examples"
    exact = blas_architecture() in (MADE_WITH_BLAS, None)
    for source, expected, fresh in shown:
        if not exact:
            fresh, expected = without_rounding_noise(fresh), without_rounding_noise(expected)
        assert fresh == expected, (
            f"{name}: the output shown after\n{source}\ndiffers from a fresh run:\n{fresh}"
            "\n(python -m tests.docs.test_gradient_docs --write rewrites it)")


def test_the_learners_session_fails_before_the_fix_and_passes_after():
    _, namespace = run_doc(*read("check_layer.md"))
    before, after = namespace["before"], namespace["after"]
    assert [c.name for c in before.gradients if not c.ok] == ["db"]
    assert not before.ok and after.ok
    assert all(c.ok for c in after.reference) and len(after.reference) == 4
    flipped = namespace["flipped"]  # consistent, but not tinyres's conv2d
    assert all(c.ok for c in flipped.gradients) and not flipped.reference[0].ok


def test_the_documented_list_of_double_backward_ops_is_tinyress():
    from tinyres.function import double_backward_ops
    text, _ = read("custom_ops.md")
    listed = re.search(r"^Ops with a double backward: (.*)\.$", text, flags=re.M).group(1)
    assert listed.split(", ") == double_backward_ops()


def _write():
    for name in DOCS:
        text, path = read(name)
        results, _ = run_doc(text, path)
        fresh = iter(results)

        def replace(match):
            _, _, output = next(fresh)
            if match.group(3) is None:
                return match.group(0)
            start, end = match.start(3) - match.start(0), match.end(3) - match.start(0)
            return match.group(0)[:start] + output + match.group(0)[end:]
        with open(path, "w", encoding="utf-8") as f:
            f.write(BLOCK.sub(replace, text))


if __name__ == "__main__" and "--write" in sys.argv:
    _write()
