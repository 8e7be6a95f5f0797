"""Turn per-image predictions into a validated competition submission CSV."""
from kit.submit.blend import align_labels, blend
from kit.submit.writer import build_submission, predictions_for, write_submission

__all__ = ["align_labels", "blend", "build_submission", "predictions_for", "write_submission"]
