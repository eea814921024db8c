"""Presidio recognizers built from the package's rule files."""
