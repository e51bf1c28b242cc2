"""Use cases: carry out what the domain decides, through the adapters."""
