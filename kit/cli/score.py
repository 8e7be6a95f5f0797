"""`kit score` (placeholder until implemented)."""
