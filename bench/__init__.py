"""Benchmarks: print figures and ratios against a same-run baseline; never assert."""
