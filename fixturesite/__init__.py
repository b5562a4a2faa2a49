"""Fixture news sites for tests, the demo and benchmarks (see fixtures/README.md)."""
