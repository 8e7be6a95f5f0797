"""`kit extract` (placeholder until implemented)."""
