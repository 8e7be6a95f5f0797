"""`kit cluster` (placeholder until implemented)."""
