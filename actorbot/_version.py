"""The package's version, read by ``setup.cfg`` (``attr:``) and ``actorbot --version``."""

__version__ = "0.1.0"
