"""`kit run` (placeholder until implemented)."""
