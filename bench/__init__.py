"""Benchmarks of the serving path and the flow (`make bench`)."""
