"""HookHandle: what register_hook / register_forward_hook return, to remove the hook later."""


class HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        """Unregister the hook (a second call does nothing)."""
        for i, registered in enumerate(self._hooks):
            if registered is self._hook:
                del self._hooks[i]
                return
