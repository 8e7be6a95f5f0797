"""`kit run`: every stage in order, each cached in a run folder keyed by its config and inputs."""
from kit.pipeline.runner import run_pipeline

__all__ = ["run_pipeline"]
