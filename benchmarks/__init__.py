"""Benchmarks and experiments; run each from the repository root as `python -m benchmarks.NAME`;
their figures go to RESULTS*.md."""
