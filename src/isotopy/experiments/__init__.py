"""Experiments: claims of the essay as functions that return numbers (tables) to report."""
