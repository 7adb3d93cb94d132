"""The documentation runs: README and docs/*.md examples, the data behind each picture."""
