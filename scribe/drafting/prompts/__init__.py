"""Prompt templates of the LLM drafters (versioned text files)."""
