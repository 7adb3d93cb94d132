"""BadFileError: the one error every loader raises for a file it will not read.

Files come from strangers (downloaded weights, datasets, checkpoints copied between machines),
so a loader treats every byte as a claim to be checked. When a claim fails, the loader stops
before it allocates or copies anything and says, in one line, which file, which entry inside it
and why, e.g.

    load_pth: 'evil.pth': tensor 'fc.weight': offset 10 + extent 4000 lies outside its storage
    of 100 elements
"""


class BadFileError(ValueError):
    """A file (or an entry in it) that is damaged, crafted, or larger than the limits allow."""

    def __init__(self, loader, path, entry, reason):
        self.loader, self.path, self.entry, self.reason = loader, path, entry, reason
        where = f"{loader}: {str(path)!r}" + (f": {entry}" if entry else "")
        super().__init__(one_line(f"{where}: {reason}"))


def one_line(text, limit=400):
    """text with its line breaks replaced and cut to `limit` characters (messages from files)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
