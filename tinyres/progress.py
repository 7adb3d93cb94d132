"""A progress bar for long loops: tqdm on a terminal; silence in a log or without tqdm.

When stderr is not a terminal (`tinyres train > log 2>&1`, CI), a bar would leave hundreds of
carriage-return frames in the file, so there is none: the training loop prints one plain line per
epoch on its own. On a terminal the bar shows no time estimate during the first step, which may
spend seconds compiling kernels; the estimate starts from the second step.
"""
import sys

FIRST_STEP = "{desc}: {n_fmt}/{total_fmt} [{elapsed}, first step]"


class _Silent:
    shows_values = False  # so callers need not compute values nobody sees

    def update(self, n=1, **postfix):
        pass

    def close(self):
        pass


class _Bar:
    """tqdm, opened again after the first update so that its rate and ETA leave that step out."""

    shows_values = True

    def __init__(self, tqdm, total, description):
        self.tqdm, self.total, self.description = tqdm, total, description
        self.bar = tqdm(total=total, desc=description, leave=False, dynamic_ncols=True,
                        file=sys.stderr, bar_format=FIRST_STEP)
        self.first = True

    def update(self, n=1, **postfix):
        if postfix:
            self.bar.set_postfix({key: f"{v:.4f}" for key, v in postfix.items()}, refresh=False)
        if not self.first:
            self.bar.update(n)
            return
        # a new bar whose rate is (n - initial) / elapsed: the estimate starts counting now
        postfix_text, self.first = self.bar.postfix, False
        self.bar.close()
        self.bar = self.tqdm(total=self.total, desc=self.description, initial=n, leave=False,
                             dynamic_ncols=True, file=sys.stderr, postfix=postfix_text)

    def close(self):
        self.bar.close()


def on_terminal(stream=None):
    """True when stream (default: stderr, where the bar goes) is an interactive terminal."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def progress(total, description, enabled=True):
    """A bar with .update(n, **values) and .close(); silent when disabled, without tqdm, or when
    stderr is not a terminal."""
    if not enabled or not on_terminal():
        return _Silent()
    try:
        from tqdm import tqdm
    except ImportError:
        return _Silent()
    return _Bar(tqdm, total, description)


def note(text):
    """Print a status line on stderr without breaking a bar being drawn there."""
    try:
        from tqdm import tqdm
    except ImportError:
        print(text, file=sys.stderr, flush=True)
        return
    tqdm.write(text, file=sys.stderr)
