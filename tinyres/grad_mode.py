"""Whether ops record the graph for backward: ``with tinyres.no_grad(): ...`` turns it off."""
import functools
import threading

_state = threading.local()


def is_grad_enabled():
    return getattr(_state, "enabled", True)


class _GradMode:
    """Context manager and decorator that sets grad recording for its block, then restores it."""

    enabled = True

    def __enter__(self):
        self._previous = is_grad_enabled()
        _state.enabled = self.enabled
        return self

    def __exit__(self, *exc):
        _state.enabled = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Ops inside build no graph: outputs have requires_grad=False and nothing is saved."""

    enabled = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Turn recording back on inside a no_grad block."""

    enabled = True
