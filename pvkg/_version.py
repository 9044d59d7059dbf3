"""pvkg's version, as installed (below every stage: the graph, its exports and the server name it)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pvkg")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
