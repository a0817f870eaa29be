"""Analyzers, registered explicitly by name. Each module holds one analyzer; see base.py for the contract."""
from __future__ import annotations

from analyzers.base import Analyzer, Column, RunContext
from analyzers.basic import BasicAnalyzer
from analyzers.bias import BiasAnalyzer
from analyzers.ches import ChesAnalyzer
from analyzers.direction import DirectionAnalyzer
from analyzers.features import FeaturesAnalyzer
from analyzers.logprob import LogprobAnalyzer
from analyzers.principles import PrinciplesAnalyzer
from analyzers.reward import RewardAnalyzer
from analyzers.traits import TraitsAnalyzer
from workbench.errors import AnalyzerError

_REGISTRY: dict[str, Analyzer] = {}


def register(analyzer: Analyzer) -> Analyzer:
    if analyzer.name in _REGISTRY:
        raise ValueError(f"analyzer {analyzer.name!r} registered twice")
    _REGISTRY[analyzer.name] = analyzer
    return analyzer


def get_analyzer(name: str) -> Analyzer:
    if name not in _REGISTRY:
        raise AnalyzerError(f"Unknown analyzer '{name}'; available: {', '.join(sorted(_REGISTRY))}.")
    return _REGISTRY[name]


def analyzer_names() -> list[str]:
    return sorted(_REGISTRY)


register(BasicAnalyzer())
register(BiasAnalyzer())
register(ChesAnalyzer())
register(LogprobAnalyzer())
register(RewardAnalyzer())
register(DirectionAnalyzer())
register(PrinciplesAnalyzer())
register(TraitsAnalyzer())
register(FeaturesAnalyzer())

__all__ = ["Analyzer", "Column", "RunContext", "analyzer_names", "get_analyzer", "register"]
