"""pvkg: the public-value knowledge graph of digital government.

From Python: `pvkg.build_graph`, `pvkg.validate`, `pvkg.queries`, `pvkg.ask` and `pvkg.export_graph` (pvkg/_api.py),
kept stable from one version to the next; the modules behind them may change. They are loaded when first used,
so that `import pvkg` (and the command's start) stays light.
"""

from pvkg._version import __version__

_API = ("ask", "build_graph", "export_graph", "queries", "validate")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from pvkg import _api as api

        return getattr(api, name)
    raise AttributeError(f"module 'pvkg' has no attribute {name!r}")
