"""The research experiments (benchmarks/experiments/): degradation and lesion study."""
