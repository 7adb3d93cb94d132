"""A progress bar for long loops: tqdm when it is installed (pip install tqdm), else silence."""


class _Silent:
    shows_values = False  # so callers need not compute values nobody sees

    def update(self, n=1, **postfix):
        pass

    def close(self):
        pass


class _Bar:
    shows_values = True

    def __init__(self, bar):
        self.bar = bar

    def update(self, n=1, **postfix):
        if postfix:
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in postfix.items()}, refresh=False)
        self.bar.update(n)

    def close(self):
        self.bar.close()


def progress(total, description, enabled=True):
    """A bar with .update(n, **values) and .close(); silent when disabled or without tqdm."""
    if not enabled:
        return _Silent()
    try:
        from tqdm import tqdm
    except ImportError:
        return _Silent()
    return _Bar(tqdm(total=total, desc=description, leave=False, dynamic_ncols=True))
