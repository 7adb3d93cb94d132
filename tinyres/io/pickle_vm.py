"""A small pickle machine for files from strangers: it runs a pickle's opcodes itself and builds
only plain Python values and the loader's own descriptions.

The idea: a pickle is a program for a stack machine. Most opcodes push a value (an int, a string,
an empty list) or combine the values on the stack (make a tuple, fill a dict). Two opcodes are
dangerous: GLOBAL names any Python object by module and name, and REDUCE calls it. Python's own
Unpickler lets a subclass filter GLOBAL, but still runs its own BUILD (which can set attributes)
and sizes its memo from numbers in the file. This machine runs only the opcodes that state_dicts
and CIFAR-10 batches use; GLOBAL looks the name up in the loader's table of stand-ins (plain
functions that return descriptions, never numpy objects); every length is checked against the
bytes that are really there, and the number of opcodes is capped.

    value = run(data, {("collections", "OrderedDict"): StandIn("collections.OrderedDict", f)})

Anything else raises PickleRefused with the reason and the byte offset.
"""
import struct
from collections import OrderedDict

from .limits import MAX_PICKLE_OPS

MAX_NAME = 256  # a GLOBAL's module or name


class PickleRefused(ValueError):
    """The pickle did something this machine does not do (or claimed bytes it does not have)."""


class StandIn:
    """What a GLOBAL resolves to: the name, and the function REDUCE may call (None: a marker
    such as torch.FloatStorage, which may be passed around but not called)."""

    __slots__ = ("name", "call")

    def __init__(self, name, call=None):
        self.name, self.call = name, call

    def __repr__(self):
        return self.name


class Description:
    """Base of the loaders' description objects; BUILD on one calls its build(state)."""

    def build(self, state):
        raise PickleRefused(f"BUILD on {type(self).__name__} is not allowed")


class Machine:
    """Runs one pickle. globals_table: (module, name) -> StandIn; persistent_load(pid) -> value
    for BINPERSID (None: refused)."""

    def __init__(self, data, globals_table, persistent_load=None, max_ops=MAX_PICKLE_OPS,
                 allowed=""):
        self.data, self.pos = memoryview(data), 0
        self.globals_table, self.persistent_load = globals_table, persistent_load
        self.max_ops, self.allowed = max_ops, allowed
        self.stack, self.marks, self.memo = [], [], {}

    def run(self):
        for _ in range(self.max_ops):
            code = self.take(1)[0]
            if code == 0x2E:  # STOP
                if len(self.stack) != 1 or self.marks:
                    raise PickleRefused("STOP with a malformed stack")
                return self.stack.pop()
            handler = OPCODES.get(code)
            if handler is None:
                raise PickleRefused(f"opcode {bytes([code])!r} at byte {self.pos - 1} is not"
                                    " allowed (not used by the files this loader reads)")
            handler(self)
        raise PickleRefused(f"more than {self.max_ops} opcodes (limits.MAX_PICKLE_OPS)")

    # --- reading the bytes ------------------------------------------------------------------------
    def take(self, n):
        """The next n bytes; refused when the pickle does not have them."""
        if n < 0 or self.pos + n > len(self.data):
            raise PickleRefused(f"truncated: {n} bytes wanted at byte {self.pos}, the pickle has"
                                f" {len(self.data)}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def number(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def sized(self, fmt):
        """A length (struct format fmt) followed by that many bytes."""
        return bytes(self.take(self.number(fmt)))

    def text(self, raw, encoding="utf-8"):
        try:
            return bytes(raw).decode(encoding, "surrogatepass")
        except UnicodeDecodeError as error:
            raise PickleRefused(f"a string before byte {self.pos} is not {encoding}") from error

    def line(self):
        """A newline-terminated name (GLOBAL's module and name)."""
        end = bytes(self.data[self.pos:self.pos + MAX_NAME + 1]).find(b"\n")
        if end < 0:
            raise PickleRefused(f"GLOBAL name at byte {self.pos} is unterminated or too long")
        return self.text(self.take(end + 1)[:-1], "ascii")

    # --- the stack --------------------------------------------------------------------------------
    def push(self, value):
        self.stack.append(value)

    def pop(self):
        """The top value; refused below the last MARK (as Python's own unpickler)."""
        if not self.stack or (self.marks and len(self.stack) <= self.marks[-1]):
            raise PickleRefused(f"stack underflow at byte {self.pos}")
        return self.stack.pop()

    def pop_mark(self):
        """Every value above the last MARK, removed with it."""
        if not self.marks:
            raise PickleRefused(f"no MARK before byte {self.pos}")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def top(self, what, kinds=None):
        """The top value (not popped); when kinds is given, of one of those exact types."""
        if not self.stack or (self.marks and len(self.stack) <= self.marks[-1]):
            raise PickleRefused(f"{what} at byte {self.pos} with nothing below it")
        if kinds is not None and type(self.stack[-1]) not in kinds:
            raise PickleRefused(f"{what} at byte {self.pos} on a {type(self.stack[-1]).__name__}"
                                f" (expected a {kinds[0].__name__})")
        return self.stack[-1]

    # --- opcodes that combine values --------------------------------------------------------------
    def set_items(self, items):
        target = self.top("SETITEM", (dict, OrderedDict))
        if len(items) % 2:
            raise PickleRefused(f"SETITEMS with an odd number of items at byte {self.pos}")
        for key, value in zip(items[::2], items[1::2]):
            if type(key) not in (str, bytes, int):
                raise PickleRefused(f"dict key of type {type(key).__name__} at byte {self.pos}")
            target[key] = value

    def reduce(self):
        args, func = self.pop(), self.pop()
        if not isinstance(func, StandIn) or func.call is None:
            what = func.name if isinstance(func, StandIn) else f"a {type(func).__name__}"
            raise PickleRefused(f"REDUCE at byte {self.pos} calls {what}, which may not be called")
        if type(args) is not tuple:
            raise PickleRefused(f"REDUCE at byte {self.pos} with arguments of type"
                                f" {type(args).__name__}")
        try:
            self.push(func.call(*args))
        except TypeError as error:  # a stand-in called with the wrong number of arguments
            raise PickleRefused(f"REDUCE at byte {self.pos}: {func.name}: {error}") from error

    def build(self):
        state = self.pop()
        target = self.top("BUILD")
        if isinstance(target, Description):
            target.build(state)
        elif type(target) is not OrderedDict or not isinstance(state, (dict, type(None))):
            # torch pickles a state_dict's _metadata as BUILD on the OrderedDict: read, dropped
            raise PickleRefused(f"BUILD at byte {self.pos} on {type(target).__name__} is not"
                                " allowed")

    def find_global(self, module, name):
        if not (isinstance(module, str) and isinstance(name, str)):
            raise PickleRefused(f"STACK_GLOBAL at byte {self.pos} with non-string names")
        found = self.globals_table.get((module, name))
        if found is None:
            raise PickleRefused(f"refused the global {module[:80]}.{name[:80]}"
                                f" {self.allowed}".rstrip())
        self.push(found)

    def persistent(self):
        if self.persistent_load is None:
            raise PickleRefused(f"BINPERSID at byte {self.pos}: this kind of file has no"
                                " persistent ids")
        self.push(self.persistent_load(self.pop()))

    def memo_get(self, key):
        if key not in self.memo:
            raise PickleRefused(f"memo key {key} read at byte {self.pos} was never written")
        self.push(self.memo[key])

    def memo_put(self, key):
        self.memo[key] = self.top("memo write")

    def protocol(self):
        if self.take(1)[0] > 5:
            raise PickleRefused("pickle protocol above 5")

    def tuple_of(self, n):
        items = [self.pop() for _ in range(n)]
        self.push(tuple(reversed(items)))

    def append(self):
        value = self.pop()
        self.top("APPEND", (list,)).append(value)

    def appends(self):
        items = self.pop_mark()
        self.top("APPENDS", (list,)).extend(items)

    def dict_from_mark(self):
        items = self.pop_mark()
        self.push({})
        self.set_items(items)

    def set_item(self):
        value = self.pop()
        key = self.pop()
        self.set_items([key, value])

    def stack_global(self):
        name = self.pop()
        module = self.pop()
        self.find_global(module, name)


M = Machine
OPCODES = {  # byte -> handler; the pickletools names are in the comments
    0x80: M.protocol, 0x95: lambda m: m.take(8),  # PROTO, FRAME (framing only helps streams)
    0x28: lambda m: m.marks.append(len(m.stack)),  # MARK
    0x31: M.pop_mark, 0x30: M.pop,  # POP_MARK, POP
    0x32: lambda m: m.push(m.top("DUP")),  # DUP
    0x4E: lambda m: m.push(None), 0x88: lambda m: m.push(True), 0x89: lambda m: m.push(False),
    0x4A: lambda m: m.push(m.number("<i")),  # BININT
    0x4B: lambda m: m.push(m.take(1)[0]),  # BININT1
    0x4D: lambda m: m.push(m.number("<H")),  # BININT2
    0x8A: lambda m: m.push(int.from_bytes(m.sized("<B"), "little", signed=True)),  # LONG1
    0x47: lambda m: m.push(m.number(">d")),  # BINFLOAT
    0x55: lambda m: m.push(m.sized("<B")),  # SHORT_BINSTRING (a Python 2 str: bytes here)
    0x54: lambda m: m.push(m.sized("<i")),  # BINSTRING (Python 2)
    0x43: lambda m: m.push(m.sized("<B")),  # SHORT_BINBYTES
    0x42: lambda m: m.push(m.sized("<I")),  # BINBYTES
    0x8E: lambda m: m.push(m.sized("<Q")),  # BINBYTES8
    0x8C: lambda m: m.push(m.text(m.sized("<B"))),  # SHORT_BINUNICODE
    0x58: lambda m: m.push(m.text(m.sized("<I"))),  # BINUNICODE
    0x8D: lambda m: m.push(m.text(m.sized("<Q"))),  # BINUNICODE8
    0x29: lambda m: m.push(()),  # EMPTY_TUPLE
    0x74: lambda m: m.push(tuple(m.pop_mark())),  # TUPLE
    0x85: lambda m: m.tuple_of(1), 0x86: lambda m: m.tuple_of(2), 0x87: lambda m: m.tuple_of(3),
    0x5D: lambda m: m.push([]),  # EMPTY_LIST
    0x6C: lambda m: m.push(m.pop_mark()),  # LIST
    0x61: M.append, 0x65: M.appends,  # APPEND, APPENDS
    0x7D: lambda m: m.push({}),  # EMPTY_DICT
    0x64: M.dict_from_mark, 0x73: M.set_item,  # DICT, SETITEM
    0x75: lambda m: m.set_items(m.pop_mark()),  # SETITEMS
    0x63: lambda m: m.find_global(m.line(), m.line()),  # GLOBAL: module, then name
    0x93: M.stack_global,  # STACK_GLOBAL
    0x52: M.reduce, 0x62: M.build, 0x51: M.persistent,  # REDUCE, BUILD, BINPERSID
    0x71: lambda m: m.memo_put(m.take(1)[0]),  # BINPUT
    0x72: lambda m: m.memo_put(m.number("<I")),  # LONG_BINPUT
    0x94: lambda m: m.memo_put(len(m.memo)),  # MEMOIZE
    0x68: lambda m: m.memo_get(m.take(1)[0]),  # BINGET
    0x6A: lambda m: m.memo_get(m.number("<I")),  # LONG_BINGET
}


def run(data, globals_table, persistent_load=None, allowed="", max_ops=MAX_PICKLE_OPS):
    """The value the pickle `data` (bytes) builds; PickleRefused for anything outside the
    opcodes above, the names in globals_table, or the limits. allowed: text that says which
    globals are (for the message)."""
    try:
        return Machine(data, globals_table, persistent_load, max_ops, allowed).run()
    except RecursionError as error:
        raise PickleRefused("nested too deeply") from error
    except (struct.error, IndexError) as error:
        raise PickleRefused(f"malformed pickle: {error}") from error
