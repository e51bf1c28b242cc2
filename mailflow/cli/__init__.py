"""The `mailflow` command line (Typer + Rich)."""
