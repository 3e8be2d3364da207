"""The SDK's version: one place, read by the package metadata (``pyproject.toml``), the
``ltx2 --version`` line and the client names the backends send. Imports nothing."""

__version__ = "0.1.0"
