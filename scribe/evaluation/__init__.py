"""Measurements of the pipeline stages: word error rate, speaker-role accuracy."""
