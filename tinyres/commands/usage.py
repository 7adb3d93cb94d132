"""UsageError: a problem with what the user asked for, printed by `tinyres` as one line."""


class UsageError(Exception):
    """Printed as `tinyres COMMAND: error: ...`, exit status 2."""
