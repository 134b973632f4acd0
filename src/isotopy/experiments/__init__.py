"""Experiments: claims of the essay as functions that return numbers (tables) to report;
``EXPERIMENTS`` names the ones the CLI runs (``isotopy experiment NAME``)."""

from .registry import EXPERIMENTS, ExperimentSpec

__all__ = ["EXPERIMENTS", "ExperimentSpec"]
