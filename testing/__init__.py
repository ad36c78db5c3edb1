"""Helpers shared by the tests and benchmarks: generated keys, throwaway git repositories."""
