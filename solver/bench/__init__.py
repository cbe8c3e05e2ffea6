"""Benchmarks run against a local devnet (gas of the settlement contract versus GPv2)."""
