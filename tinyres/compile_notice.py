"""Say "compiling kernels (first run only)" when, and only when, Numba really compiles one.

The cpu kernels are Numba functions with cache=True: the first run on a machine compiles them
(several seconds, inside the first training step) and stores the machine code on disk (next to
the kernels in __pycache__, or under ~/.cache/numba when that folder is not writable); later runs
load it in well under a second. Numba announces every real compilation (a cache miss; loads from
the cache are not announced) as a "numba:compile" event, so listening for the first such event
tells the truth without guessing from timings or cache files.
"""
import contextlib

MESSAGE = "compiling kernels (first run only)"


@contextlib.contextmanager
def compile_notice(say):
    """Within the block, call say(MESSAGE) once, when Numba starts its first compilation."""
    try:
        from numba.core import event
    except ImportError:  # without Numba nothing is compiled
        yield
        return

    class FirstCompile(event.Listener):
        said = False

        def on_start(self, _event):
            if not self.said:  # Numba's compiler lock serialises compilations: no race here
                self.said = True
                say(MESSAGE)

        def on_end(self, _event):
            pass

    with event.install_listener("numba:compile", FirstCompile()):
        yield
