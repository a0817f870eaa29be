"""Overview numbers computed in DuckDB (histograms, longer-wins shares) and their plotly figures.

Only aggregates leave the database: a histogram is at most a few dozen rows per side, whatever the
size of the workspace.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from workbench.ui import state

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

CHOSEN_COLOR = "#21a366"
REJECTED_COLOR = "#e0533d"
_SQL_WORDS = "CASE WHEN trim({side}) = '' THEN 0 ELSE len(string_split_regex(trim({side}), '\\s+')) END"


def length_units(store: "WorkspaceStore") -> dict[str, tuple[str, str, str]]:
    """Unit label -> (chosen SQL, rejected SQL, definition). Tokens appear once the basic analyzer ran."""
    columns = store.available_columns()
    units = {"characters": ("length(pairs.chosen)", "length(pairs.rejected)", "Characters of the response text.")}
    if "basic.chosen_words" in columns:
        units["words"] = (columns["basic.chosen_words"]["sql"], columns["basic.rejected_words"]["sql"],
                          "Whitespace-separated words (basic analyzer columns).")
    else:
        units["words"] = (_SQL_WORDS.format(side="pairs.chosen"), _SQL_WORDS.format(side="pairs.rejected"),
                          "Whitespace-separated words of the response text.")
    if "basic.chosen_tokens" in columns:
        units["tokens"] = (columns["basic.chosen_tokens"]["sql"], columns["basic.rejected_tokens"]["sql"],
                           columns["basic.chosen_tokens"]["description"].replace("the chosen response", "each response"))
    return units


@st.cache_data(show_spinner=False, max_entries=32)
def _histogram(_store: "WorkspaceStore", folder: str, revision: int, chosen_sql: str, rejected_sql: str,
               bins: int) -> tuple[pd.DataFrame, dict]:
    view = _store.view_sql()
    lengths = (f"SELECT 'chosen' AS side, {chosen_sql} AS n FROM {view} UNION ALL "
               f"SELECT 'rejected' AS side, {rejected_sql} AS n FROM {view}")
    low, p99, high = _store.sql_rows(
        f"SELECT min(n), quantile_cont(n, 0.99), max(n) FROM ({lengths}) WHERE n IS NOT NULL")[0]
    if low is None:
        return pd.DataFrame(columns=["side", "start", "end", "pairs"]), {}
    low, top = int(low), int(math.ceil(p99))
    width = max(1, math.ceil((top - low + 1) / bins))
    frame = _store.sql_df(
        f"SELECT side, least(floor((n - ?) / ?), ?)::INTEGER AS bin, count(*) AS pairs FROM ({lengths}) "
        f"WHERE n IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2", [low, width, bins - 1])
    frame["start"] = low + frame["bin"] * width
    frame["end"] = frame["start"] + width - 1
    means = dict(_store.sql_rows(f"SELECT side, avg(n) FROM ({lengths}) GROUP BY 1"))
    return frame, {"low": low, "p99": top, "high": int(high), "width": width, "overflow": int(high) > low + bins * width - 1,
                   "mean_chosen": means.get("chosen"), "mean_rejected": means.get("rejected")}


def length_histogram(store: "WorkspaceStore", unit: str, bins: int = 40) -> tuple[pd.DataFrame, dict]:
    chosen_sql, rejected_sql, _ = length_units(store)[unit]
    return _histogram(store, str(state.workspace_folder()), state.revision(), chosen_sql, rejected_sql, bins)


def histogram_figure(frame: pd.DataFrame, unit: str, info: dict):
    import plotly.graph_objects as go

    figure = go.Figure()
    for side, color in (("chosen", CHOSEN_COLOR), ("rejected", REJECTED_COLOR)):
        part = frame[frame["side"] == side]
        labels = [f"{s:,}–{e:,}" if e > s else f"{s:,}" for s, e in zip(part["start"], part["end"])]
        figure.add_bar(x=part["start"] + info["width"] / 2, y=part["pairs"], width=info["width"], name=side,
                       marker_color=color, opacity=0.55, customdata=labels,
                       hovertemplate=f"{side}: %{{y:,}} responses of %{{customdata}} {unit}<extra></extra>")
    figure.update_layout(barmode="overlay", height=320, margin=dict(l=10, r=10, t=10, b=10),
                         xaxis_title=f"response length ({unit})", yaxis_title="responses",
                         legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return figure


@st.cache_data(show_spinner=False, max_entries=32)
def _longer_wins(_store: "WorkspaceStore", folder: str, revision: int, chosen_sql: str, rejected_sql: str) -> pd.DataFrame:
    frame = _store.sql_df(
        f"""SELECT coalesce(pairs.source, '(none)') AS source,
                   count(*) AS pairs,
                   count(*) FILTER (WHERE pairs.label = 'tie') AS ties,
                   count(*) FILTER (WHERE pairs.label <> 'tie' AND {chosen_sql} = {rejected_sql}) AS equal_length,
                   count(*) FILTER (WHERE pairs.label <> 'tie' AND {chosen_sql} <> {rejected_sql}) AS decided,
                   count(*) FILTER (WHERE pairs.label <> 'tie' AND {chosen_sql} > {rejected_sql}) AS longer_won
            FROM {_store.view_sql()} GROUP BY 1 ORDER BY pairs DESC, source""")
    for name in ("pairs", "ties", "equal_length", "decided", "longer_won"):
        frame[name] = frame[name].astype("int64")
    frame["longer_wins_share"] = frame["longer_won"] / frame["decided"].where(frame["decided"] > 0)
    return frame


def longer_wins(store: "WorkspaceStore", unit: str) -> tuple[pd.DataFrame, float | None, int]:
    """Per-source table, the overall share and the number of pairs it is over."""
    chosen_sql, rejected_sql, _ = length_units(store)[unit]
    frame = _longer_wins(store, str(state.workspace_folder()), state.revision(), chosen_sql, rejected_sql)
    decided = int(frame["decided"].sum())
    return frame, (float(frame["longer_won"].sum()) / decided if decided else None), decided


def longer_wins_figure(frame: pd.DataFrame, overall: float | None):
    import plotly.graph_objects as go

    shown = frame[frame["decided"] > 0]
    figure = go.Figure(go.Bar(
        x=shown["longer_wins_share"], y=shown["source"], orientation="h", marker_color="#4c78a8",
        customdata=shown[["longer_won", "decided"]].to_numpy(),
        hovertemplate="%{y}: longer response won %{customdata[0]:,} of %{customdata[1]:,} pairs (%{x:.1%})<extra></extra>"))
    figure.add_vline(x=0.5, line_dash="dot", line_color="gray", annotation_text="no length preference",
                     annotation_position="top")
    if overall is not None:
        figure.add_vline(x=overall, line_color="#e45756", annotation_text=f"all sources {overall:.1%}",
                         annotation_position="bottom")
    figure.update_layout(height=max(200, 40 * len(shown) + 90), margin=dict(l=10, r=10, t=30, b=10),
                         xaxis=dict(range=[0, 1], tickformat=".0%", title="share of pairs whose longer response won"),
                         yaxis=dict(autorange="reversed"))
    return figure


def count_bars(counts: dict[str, int], title: str):
    import plotly.graph_objects as go

    names, values = list(counts), list(counts.values())
    figure = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color="#4c78a8", text=[f"{v:,}" for v in values],
                              textposition="auto", hovertemplate="%{y}: %{x:,} pairs<extra></extra>"))
    figure.update_layout(height=max(160, 34 * len(names) + 70), margin=dict(l=10, r=10, t=30, b=10),
                         title=dict(text=title, font=dict(size=14)), xaxis_title="pairs", yaxis=dict(autorange="reversed"))
    return figure
