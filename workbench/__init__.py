"""Preference Workbench: audit, analyze, filter and export pairwise preference datasets.

The notebook API lives here: ``open_workspace(path)`` returns a :class:`Workspace` with
``load``, ``analyze``, ``query``, ``summary`` and ``export``.
"""
from __future__ import annotations

from workbench.errors import WorkbenchError

__all__ = ["WorkbenchError", "open_workspace", "Workspace"]
__version__ = "0.1.0"


def open_workspace(path: str = ".workspace", *, read_only: bool = False):
    """Open (or create) the workspace folder at ``path`` and return a :class:`Workspace`."""
    from workbench.api import Workspace

    return Workspace(path, read_only=read_only)


def __getattr__(name: str):
    if name == "Workspace":
        from workbench.api import Workspace

        return Workspace
    raise AttributeError(name)
