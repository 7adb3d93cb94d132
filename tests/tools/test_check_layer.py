"""check_layer and assert_layer_gradients on CS231n-style NumPy layers: correct ones pass, and
each planted bug (a sign error, a missing sum over the batch, a transposed weight gradient, a
forward that is not the op it claims) fails with a report naming the input and its worst
element."""
import re

import numpy as np
import pytest

import tinyres
from tinyres.gradcheck import check_layer
from tinyres.testing import assert_layer_gradients


def affine_forward(x, w, b):
    """(N, d1, ..., dk), (D, M), (M,) -> (N, M), as CS231n's affine_forward."""
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def broken(mistake):
    """affine_backward with one learner's mistake."""
    def backward(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        x = cache[0].reshape(len(dout), -1)
        return {"sign": (-dx, dw, db),
                "batch sum": (dx, dw, dout[0]),          # one sample's share of db only
                "batch axis": (dx, dw, dout),            # db not summed at all
                "transposed": (dx, (x.T @ dout).T, db),  # dw of the wrong layout
                "count": (dx, dw)}[mistake]
    return backward


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, x):
    return dout * (x > 0)  # a bare array, as CS231n's relu_backward returns


def affine_inputs(seed=3, d=4, m=3):  # not seed 0: dout is drawn with it
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((5, 2, d // 2)), rng.standard_normal((d, m)),
            rng.standard_normal(m)]


def test_a_correct_layer_passes_with_cs231n_relative_errors():
    result = check_layer(affine_forward, affine_backward, affine_inputs(), reference="affine")
    assert result.ok, str(result)
    assert [c.name for c in result.gradients] == ["dx", "dw", "db"]
    assert max(result.errors.values()) < 1e-8
    assert "all agree (rel error <= 1e-06)" in str(result)


def test_check_layer_is_reachable_as_the_issue_and_the_docs_spell_it():
    assert tinyres.gradcheck.check_layer is check_layer is tinyres.check_layer
    assert tinyres.gradcheck.gradgradcheck is tinyres.gradgradcheck


def test_rel_error_is_cs231ns_elementwise_maximum():
    a, b = np.array([1.0, 0.0, 2.0]), np.array([1.5, 0.0, 2.0])
    cs231n = np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))
    assert tinyres.gradcheck_layer.rel_error(a, b) == (cs231n, (0,))


@pytest.mark.parametrize("mistake,row", [
    ("sign", r"dx +\(5, 2, 2\) +1\.0e\+00  \(\d, \d, \d\) .* FAIL"),
    ("batch sum", r"db +\(3,\) +\S+  \(\d,\) .* FAIL"),
])
def test_a_wrong_gradient_fails_naming_the_input_and_its_worst_element(mistake, row):
    result = check_layer(affine_forward, broken(mistake), affine_inputs())
    assert not result.ok
    assert re.search(row, str(result)), str(result)
    with pytest.raises(AssertionError, match=row):
        assert_layer_gradients(affine_forward, broken(mistake), affine_inputs())


def test_the_worst_element_and_both_values_are_reported():
    x, w, b = affine_inputs()
    result = check_layer(affine_forward, broken("batch sum"), [x, w, b])
    db = result.gradients[2]
    dout = np.random.default_rng(0).standard_normal((5, 3))  # check_layer's dout (seed 0)
    wrong, right = dout[0], dout.sum(axis=0)
    ratio = np.abs(wrong - right) / (np.abs(wrong) + np.abs(right))
    assert db.index == (int(np.argmax(ratio)),) and db.error == pytest.approx(ratio.max())
    assert db.mine == wrong[db.index] and db.other == pytest.approx(right[db.index], rel=1e-8)


def test_a_gradient_of_the_wrong_shape_is_named_with_a_hint():
    result = check_layer(affine_forward, broken("batch axis"), affine_inputs())
    assert "db       (3,)            FAIL: backward returned shape (5, 3) for b of shape (3,)" \
           " (not summed over the batch axis?)" in str(result)
    result = check_layer(affine_forward, broken("transposed"), affine_inputs())
    assert "backward returned shape (3, 4) for w of shape (4, 3) (transposed?)" in str(result)
    assert result.gradients[0].ok and result.gradients[2].ok  # the others are still checked


def test_a_transposed_weight_gradient_of_a_square_weight_fails_on_values():
    result = check_layer(affine_forward, broken("transposed"), affine_inputs(d=4, m=4))
    assert [c.name for c in result.gradients if not c.ok] == ["dw"]
    assert "FAILED (rel error > 1e-06): dw" in str(result)


def test_the_wrong_number_of_gradients_is_a_clear_error():
    with pytest.raises(ValueError, match=r"affine_backward_broken returned 2 gradients for 3"
                                         r" inputs \(x, w, b\); .*\(dx, dw, db\)"):
        backward = broken("count")
        backward.__name__ = "affine_backward_broken"
        check_layer(affine_forward, backward, affine_inputs())


def test_a_single_input_layer_may_return_a_bare_gradient_and_inputs_stay_untouched():
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    before = x.copy()
    result = check_layer(relu_forward, relu_backward, [x], reference="relu")
    assert result.ok and [c.name for c in result.gradients] == ["dx"]
    np.testing.assert_array_equal(x, before)


def test_bad_layers_and_inputs_are_refused_clearly():
    with pytest.raises(TypeError, match=r"must return \(out, cache\)"):
        check_layer(lambda x: x, relu_backward, [np.ones(3)])
    with pytest.raises(TypeError, match="float32 output for float64 inputs"):
        check_layer(lambda x: (x.astype(np.float32), x), relu_backward, [np.ones(3)])
    with pytest.raises(TypeError, match=r"inputs\[0\] has dtype int64.*params="):
        check_layer(relu_forward, relu_backward, [np.arange(3)])
    with pytest.raises(ValueError, match="unknown reference 'conv3d'"):
        check_layer(relu_forward, relu_backward, [np.ones(3)], reference="conv3d")


def test_a_forward_that_is_not_the_reference_op_fails_only_against_it():
    """Consistent forward and backward of the wrong function: the numeric check passes, the
    comparison with tinyres's affine (y = x w + b) catches it."""
    def forward(x, w, b):
        return affine_forward(x, 2 * w, b)

    def backward(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        return dx, 2 * dw, db
    result = check_layer(forward, backward, affine_inputs(), reference="affine")
    assert all(c.ok for c in result.gradients) and not result.ok
    assert "FAILED (rel error > 1e-06): out (against affine), dx (against affine)" in str(result)


def test_a_callable_reference_and_sampled_elements():
    def reference(x, w, b):
        return x.reshape(x.shape[0], -1) @ w + b
    result = check_layer(affine_forward, affine_backward, affine_inputs(), elements=3,
                         reference=reference)
    assert result.ok and "yours against tinyres's reference" in str(result)
    result = check_layer(affine_forward, broken("sign"), affine_inputs(), elements=3)
    index = result.gradients[0].index
    assert len(index) == 3 and all(0 <= i < n for i, n in zip(index, (5, 2, 2)))
