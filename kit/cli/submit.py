"""`kit submit` (placeholder until implemented)."""
