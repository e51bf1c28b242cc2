"""Reading and validating mailflow.toml and the directory file."""

from mailflow.config.loader import load_config
from mailflow.config.model import Settings

__all__ = ["Settings", "load_config"]
