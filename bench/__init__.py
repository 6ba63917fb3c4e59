"""Benchmarks: `make bench` (or `python -m bench`). Results are written down in bench/RESULTS.md."""
