"""One corpus case: a name, the loader to try, the file's content and what loading must give.

content is bytes (written as they are), a list of zip_tools.Member (written as a zip archive),
or a function(path) that writes the file itself. expect is ("ok", digest) for a control that
must load exactly, or ("error", regex) for a file that must be refused with a BadFileError whose
one-line message matches regex."""
import os

from . import zip_tools


class Case:
    def __init__(self, name, loader, filename, content, expect):
        self.name, self.loader, self.filename = name, loader, filename
        self.content, self.expect = content, expect
        self.key = f"{loader}/{name}"

    def write(self, folder):
        """Write the file into folder; returns its path."""
        path = os.path.join(folder, self.filename)
        if callable(self.content):
            self.content(path)
        elif isinstance(self.content, (bytes, bytearray)):
            with open(path, "wb") as f:
                f.write(self.content)
        else:
            zip_tools.write(path, self.content)
        return path


def damaged(members, damage):
    """A writer: members as a zip, then damage(path) (truncate, flip...)."""
    def write(path):
        zip_tools.write(path, members)
        damage(path)
    return write
