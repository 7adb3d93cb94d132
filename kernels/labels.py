"""The class-label rule shared by every backend's cross-entropy (pure Python, no array library)."""


def bad_label_message(classes, label):
    """The error for a class index outside [0, classes), the same wherever it is found."""
    return (f"cross_entropy: argument 'target' must be in [0, {classes}) for {classes} classes,"
            f" got label {label}")
