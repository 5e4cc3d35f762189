"""Benchmarks (run by ``make bench``); reports, not tests: they print numbers and exit 0."""
