"""Course experiments: one YAML file per report, run as one command into one HTML page (see spec.py)."""
from kit.experiments.page import write_index
from kit.experiments.run import run_experiment
from kit.experiments.spec import Experiment, load_experiment, parse_experiment

__all__ = ["Experiment", "load_experiment", "parse_experiment", "run_experiment", "write_index"]
