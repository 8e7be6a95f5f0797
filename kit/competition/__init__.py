"""Local Kaggle-style competitions: build one from labeled data (or import a download), load it, validate and score."""
from kit.competition.importer import import_competition, import_is_current, is_raw_download
from kit.competition.load import Competition, load_competition
from kit.competition.make import make_competition
from kit.competition.scoring import METRICS, score_submission
from kit.competition.validate import validate_submission

__all__ = ["Competition", "METRICS", "import_competition", "import_is_current", "is_raw_download", "load_competition",
           "make_competition", "score_submission", "validate_submission"]
