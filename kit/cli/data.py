"""`kit data` (placeholder until implemented)."""
