"""`kit reduce` (placeholder until implemented)."""
