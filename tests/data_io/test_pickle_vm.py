"""tinyres.io.pickle_vm, the pickle machine the loaders use: it reads what Python's pickle writes
for plain values exactly as Python does, and refuses what it does not know (with the byte)."""
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinyres.io.pickle_vm import PickleRefused, StandIn, run

SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
           | st.text(max_size=20) | st.binary(max_size=20))


def _containers(inner):
    return (st.lists(inner, max_size=4) | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=5), inner, max_size=4))


VALUES = st.recursive(SCALARS, _containers, max_leaves=30)


@given(VALUES, st.sampled_from([3, 4]))
def test_plain_values_load_as_python_loads_them(value, protocol):
    data = pickle.dumps(value, protocol=protocol)
    assert run(data, {}) == pickle.loads(data)


def test_shared_and_repeated_values_come_back_shared():
    inner = [1, 2]
    loaded = run(pickle.dumps({"a": inner, "b": inner}, protocol=2), {})
    assert loaded == {"a": [1, 2], "b": [1, 2]} and loaded["a"] is loaded["b"]  # the memo


def test_globals_resolve_only_through_the_table():
    data = pickle.dumps(range(3), protocol=4)  # builtins.range(0, 3, 1) by STACK_GLOBAL
    stand_in = StandIn("builtins.range", lambda *args: ("range", args))
    assert run(data, {("builtins", "range"): stand_in}) == ("range", (0, 3, 1))
    with pytest.raises(PickleRefused, match="refused the global builtins.range"):
        run(data, {})
    with pytest.raises(PickleRefused, match="calls builtins.range, which may not be called"):
        run(data, {("builtins", "range"): StandIn("builtins.range")})


@pytest.mark.parametrize("data,message", [
    (b"", "truncated: 1 bytes wanted at byte 0"),
    (b"\x80\x02X\xff\xff\xff\x7f", "truncated: 2147483647 bytes wanted"),
    (b"\x80\x02N\x81.", r"opcode b'\\x81' at byte 3 is not allowed"),
    (b"\x80\x02.", "STOP with a malformed stack"),
    (b"\x80\x02e.", "no MARK before byte 3"),
    (b"\x80\x02N(0.", "stack underflow at byte 5"),
    (b"\x80\x02h\x05.", "memo key 5 read at byte 4 was never written"),
    (b"\x80\x02}]K\x01s.", "dict key of type list"),
    (b"\x80\x02}}b.", "BUILD at byte 5 on dict is not allowed"),
    (b"\x80\x07N.", "pickle protocol above 5"),
    (b"\x80\x02cos\n" + b"x" * 300, "unterminated or too long"),
])
def test_malformed_and_unknown_pickles_are_refused_with_the_byte(data, message):
    with pytest.raises(PickleRefused, match=message):
        run(data, {})


def test_the_number_of_opcodes_is_capped():
    with pytest.raises(PickleRefused, match="more than 100 opcodes"):
        run(b"\x80\x02N" + b"0N" * 100 + b".", {}, max_ops=100)
