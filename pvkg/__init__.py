"""pvkg: the public-value knowledge graph of digital government."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pvkg")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
