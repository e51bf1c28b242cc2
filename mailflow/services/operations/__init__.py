"""Operating a site: the starter, `doctor`, backup and restore."""
