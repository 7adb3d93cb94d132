"""Benchmarks of tinyres; each bench_*.py runs as a script and its figures go to RESULTS*.md."""
