"""Turn per-image predictions into a validated competition submission CSV."""
from kit.submit.writer import build_submission, predictions_for, write_submission

__all__ = ["build_submission", "predictions_for", "write_submission"]
