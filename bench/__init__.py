"""Benchmarks of the mujun engine (`python -m bench`, `make bench`); see bench/README.md.

Speed and memory targets are checked here, against a floor and a pandas baseline measured in the
same run, never by timed unit tests.
"""
