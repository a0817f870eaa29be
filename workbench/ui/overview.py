"""Sections of the Overview page; every number carries its definition (help tooltip or caption)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from workbench.ui import charts, state

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

METRIC_HELP = {
    "pairs": "Preference pairs in the workspace, over every loaded file.",
    "sources": "Distinct values of the source field (a row's source column, else its file name).",
    "ties": "Pairs labelled as a tie: neither response was preferred.",
    "identical": "Pairs whose chosen and rejected texts are exactly the same.",
    "duplicates": "Extra copies: pairs whose prompt, chosen and rejected repeat an earlier pair exactly "
                  "(pairs minus distinct contents).",
    "mean_chosen": "Average length of the chosen responses, in characters.",
    "mean_rejected": "Average length of the rejected responses, in characters.",
    "longer_wins": "Of the pairs with a winner and responses of different length (characters), the share whose "
                   "chosen response is the longer one. 50% means no length preference; ties are excluded.",
    "position_a": "Of the pairs that record where the chosen response was shown, the share shown as A. "
                  "Far from 50% hints at a position bias in the labels.",
}


@st.cache_data(show_spinner=False, max_entries=8)
def _summary(_store: "WorkspaceStore", folder: str, revision: int) -> dict:
    from workbench.summary import workspace_summary

    return workspace_summary(_store)


def summary(store: "WorkspaceStore") -> dict:
    return _summary(store, str(state.workspace_folder()), state.revision())


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def headline_metrics(summary: dict) -> None:
    row = st.columns(5)
    row[0].metric("Pairs", f"{summary['pairs']:,}", help=METRIC_HELP["pairs"], border=True)
    row[1].metric("Sources", f"{len(summary['by_source']):,}", help=METRIC_HELP["sources"], border=True)
    row[2].metric("Ties", f"{summary['ties']:,}", help=METRIC_HELP["ties"], border=True)
    row[3].metric("Identical responses", f"{summary['identical_responses']:,}", help=METRIC_HELP["identical"], border=True)
    row[4].metric("Duplicate pairs", f"{summary['duplicate_pairs']:,}", help=METRIC_HELP["duplicates"], border=True)
    row = st.columns(5)
    row[0].metric("Mean chosen length", f"{_number(summary['mean_chosen_chars'])} chars", help=METRIC_HELP["mean_chosen"])
    row[1].metric("Mean rejected length", f"{_number(summary['mean_rejected_chars'])} chars", help=METRIC_HELP["mean_rejected"])
    row[2].metric("Longer response wins", _share(summary["longer_wins_share_chars"]), help=METRIC_HELP["longer_wins"])
    row[3].metric("Chosen shown as A", _share(summary["position_a_share"]), help=METRIC_HELP["position_a"])
    row[4].metric("Datasets", f"{len(summary['datasets']):,}", help="Files loaded into this workspace (see Load data).")


def length_section(store: "WorkspaceStore", unit: str, definition: str) -> None:
    frame, info = charts.length_histogram(store, unit)
    if frame.empty:
        st.caption("No lengths to show.")
        return
    st.plotly_chart(charts.histogram_figure(frame, unit, info), key="wb.chart.lengths")
    overflow = (f" The last bar also holds the longest 1% (up to {info['high']:,} {unit}); bars stop at the 99th "
                f"percentile, {info['p99']:,}." if info["overflow"] else "")
    st.caption(f"How many chosen (green) and rejected (red) responses fall in each length bin of {info['width']:,} {unit}, "
               f"overlaid; counted in the database. Unit: {definition} Mean chosen {info['mean_chosen']:,.1f}, "
               f"mean rejected {info['mean_rejected']:,.1f} {unit}.{overflow}")


def longer_wins_section(store: "WorkspaceStore", unit: str) -> None:
    frame, overall, decided = charts.longer_wins(store, unit)
    st.markdown(f"**Longer response wins: {_share(overall)}** of {decided:,} pairs")
    st.caption(f"Share of pairs whose chosen response is longer than the rejected one, in {unit}, overall and per source. "
               "Ties and pairs whose responses have equal length are excluded; 50% means no length preference, "
               "well above it suggests the labels reward length.")
    left, right = st.columns([3, 2])
    with left:
        if decided:
            st.plotly_chart(charts.longer_wins_figure(frame, overall), key="wb.chart.longer_wins")
    with right:
        st.dataframe(
            frame, hide_index=True, width="stretch",
            column_order=["source", "longer_wins_share", "longer_won", "decided", "ties", "equal_length", "pairs"],
            column_config={
                "source": st.column_config.TextColumn("source", help="Source of the pairs."),
                "longer_wins_share": st.column_config.NumberColumn(
                    "longer wins", format="percent", help="longer won / decided."),
                "longer_won": st.column_config.NumberColumn("longer won", help="Decided pairs whose chosen response is longer."),
                "decided": st.column_config.NumberColumn("decided", help="Pairs with a winner and responses of different length."),
                "ties": st.column_config.NumberColumn("ties", help="Tie pairs (excluded)."),
                "equal_length": st.column_config.NumberColumn("equal length", help="Pairs with a winner whose responses have the same length (excluded)."),
                "pairs": st.column_config.NumberColumn("pairs", help="All pairs of the source."),
            })


def analyzer_summaries(summary: dict) -> None:
    analyzers = summary["analyzers"]
    if not analyzers:
        st.caption("No analyzer has run yet; start one on the Analyzers page.")
        st.page_link("pages/analyzers.py", label="Go to Analyzers", icon=":material/analytics:")
        return
    from analyzers import get_analyzer
    from workbench.errors import AnalyzerError

    for name, run in analyzers.items():
        with st.container(border=True):
            with st.container(horizontal=True, vertical_alignment="center"):
                st.markdown(f"**{name}** · run `{run['run_id']}` · finished {str(run['finished_at'])[:19]}")
                if run["stale"]:
                    st.badge("stale", color="orange", icon=":material/warning:",
                             help="The pairs changed since this run (a load or replace); run it again to cover them.")
                else:
                    st.badge("current", color="green", help="The run covers exactly the pairs in the workspace now.")
            try:
                st.caption(get_analyzer(name).description)
            except AnalyzerError:  # a run stored by an analyzer this version no longer has
                pass
            results = run["summary"] or {}
            primary = results.get("primary_metric")
            if primary and isinstance(results.get(primary), (int, float)):
                value = results[primary]
                shown = f"{value:.1%}" if "share" in primary and value <= 1 else f"{value:,.4g}"
                st.metric(primary.replace("_", " "), shown,
                          help="The analyzer's primary metric, computed from its per-pair columns.")
            st.caption("Settings: " + ", ".join(f"`{k}={v}`" for k, v in run["settings"].items()))
            st.json(results, expanded=False)
            st.caption("The run's summary, derived from its per-pair columns (see each column's definition in Explore).")
