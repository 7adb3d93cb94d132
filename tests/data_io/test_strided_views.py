"""tinyres.io.strided: the view arithmetic load_pth relies on. Every view check_view accepts lies
inside its storage and copy_view copies exactly what numpy's strided view (built here, from our
own checked numbers) shows; every view that reaches past the storage is refused."""
import numpy as np
import pytest

from tinyres.io.strided import check_view, copy_view

STORAGE = np.arange(500, dtype=np.float32)


def _random_views(count, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        ndim = int(rng.integers(0, 4))
        yield (tuple(int(v) for v in rng.integers(0, 6, ndim)),
               tuple(int(v) for v in rng.integers(0, 40, ndim)), int(rng.integers(0, 60)))


def test_accepted_views_copy_exactly_what_numpy_shows():
    accepted = 0
    for size, stride, offset in _random_views(2000):
        try:
            check_view(size, stride, offset, len(STORAGE))
        except ValueError:
            continue
        accepted += 1
        expected = np.lib.stride_tricks.as_strided(
            STORAGE[offset:], size, tuple(4 * s for s in stride))
        got = copy_view(STORAGE, size, stride, offset)
        assert got.shape == size and got.flags.c_contiguous and got.flags.writeable
        np.testing.assert_array_equal(got, expected)
    assert accepted > 1000


def test_views_past_the_storage_are_refused():
    refused, length = 0, 100  # a short storage: many random views reach past it
    for size, stride, offset in _random_views(2000, seed=1):
        numel = int(np.prod(size))
        extent = 1 + sum((n - 1) * s for n, s in zip(size, stride))
        if numel and offset + extent > length:
            with pytest.raises(ValueError, match="outside its storage"):
                check_view(size, stride, offset, length)
            refused += 1
    assert refused > 300


@pytest.mark.parametrize("size,stride,offset,message", [
    ((2, 2), (1 << 60, 1 << 60), 0, "outside its storage"),  # wraps int64 in numpy's check
    ((3,), (-1,), 5, "stride .* integers >= 0"),
    ((2,), (1,), -1, "offset -1 must hold integers >= 0"),
    ((2.0,), (1,), 0, r"size \(a tuple\) must hold"),
    ([2], [1], 0, "must be tuples"),
    ((1,) * 17, (1,) * 17, 0, "17 dimensions"),
])
def test_crafted_views_are_refused_with_the_reason(size, stride, offset, message):
    with pytest.raises(ValueError, match=message):
        check_view(size, stride, offset, len(STORAGE))


def test_a_repeated_element_view_is_copied_in_small_steps():
    got = copy_view(np.arange(4, dtype=np.uint8), (300, 1000), (0, 0), 3)
    assert got.shape == (300, 1000) and (got == 3).all()
