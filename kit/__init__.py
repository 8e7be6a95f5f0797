"""kit: Kaggle-style image clustering and semi-supervised competitions."""
import os

# albumentations phones home for update checks unless told not to.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__version__ = "0.1.0"
