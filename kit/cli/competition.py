"""`kit competition` (placeholder until implemented)."""
