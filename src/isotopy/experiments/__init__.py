"""The essay's claims as functions that return numbers; ``EXPERIMENTS`` names them for the CLI."""

from .registry import EXPERIMENTS, ExperimentSpec

__all__ = ["EXPERIMENTS", "ExperimentSpec"]
