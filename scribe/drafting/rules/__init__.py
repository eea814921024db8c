"""Rule and vocabulary data files of the drafting package (JSON, versioned)."""
