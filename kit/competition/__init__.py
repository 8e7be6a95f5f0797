"""Local Kaggle-style competitions: build one from labeled data, load it, validate and score submissions."""
from kit.competition.load import Competition, load_competition
from kit.competition.make import make_competition
from kit.competition.scoring import METRICS, score_submission
from kit.competition.validate import validate_submission

__all__ = ["Competition", "METRICS", "load_competition", "make_competition", "score_submission", "validate_submission"]
