"""Research experiments, apart from the timing benchmarks: He et al.'s degradation experiment
(`python -m benchmarks.experiments.degradation`, RESULTS-degradation.md) and the default home of
the lesion study's results (`tinyres lesion`); each writes into results/ here."""
