"""Wording of messages: counted nouns ("1 epoch", "2 epochs") and long lists cut to a few items."""


def plural(count, noun):
    """'1 epoch', '2 epochs', '0 epochs' (nouns whose plural adds an s)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def some_of(items, limit=3):
    """The first `limit` items, comma-separated, then '... and N more' for the rest:
    some_of(['a', 'b', 'c', 'd', 'e']) == 'a, b, c ... and 2 more'."""
    items = [str(item) for item in items]
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown} ... and {rest} more" if rest > 0 else shown
