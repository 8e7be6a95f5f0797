"""`kit pretrain` (placeholder until implemented)."""
