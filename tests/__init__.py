"""The test suite, one package per axis of what is tested (`pytest` from the repo root)."""
