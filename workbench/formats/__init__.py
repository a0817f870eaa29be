"""Input formats: one adapter module per format, each registered by name (see base.py)."""
from __future__ import annotations

from workbench.formats import (  # noqa: F401  (importing registers the adapters)
    alpaca_eval,
    annotated_pairs,
    arena,
    evalbiasbench,
    hh_rlhf,
    pairwise_text,
    trl,
)
from workbench.formats.base import FormatAdapter, get_adapter, registry

__all__ = ["FormatAdapter", "get_adapter", "registry"]
