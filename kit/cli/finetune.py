"""`kit finetune` (placeholder until implemented)."""
