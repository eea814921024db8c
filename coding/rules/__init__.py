"""Coding rules as data files (JSON), loaded and validated by `coding.rulebook`."""
