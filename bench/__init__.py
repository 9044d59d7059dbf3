"""Benchmarks for pvkg: a synthetic corpus generator (bench.generate) for timing builds at scale."""
