"""`kit report` (placeholder until implemented)."""
