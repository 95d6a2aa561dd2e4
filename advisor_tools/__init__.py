"""Developer tools outside the runtime package: evaluation and benchmarks (`advisor eval`, `advisor bench`)."""
