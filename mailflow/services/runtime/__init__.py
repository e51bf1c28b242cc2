"""Keeping `mailflow run` going: the supervised runtime, the scheduler, loop errors, metrics."""
