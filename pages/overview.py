"""Overview: what is in the workspace, how chosen and rejected lengths compare, and analyzer summaries."""
from __future__ import annotations

import streamlit as st

from workbench.ui import charts, overview, state

store = state.store()
st.title("Overview")
state.show_flashes()

summary = overview.summary(store)
if summary["pairs"] == 0:
    st.info("No pairs yet: load a dataset first.", icon=":material/inbox:")
    st.page_link("pages/load.py", label="Go to Load data", icon=":material/upload_file:")
    st.stop()

overview.headline_metrics(summary)

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.count_bars(summary["by_source"], "Pairs by source"), key="wb.chart.sources")
with right:
    st.plotly_chart(charts.count_bars(summary["by_split"], "Pairs by split"), key="wb.chart.splits")
st.caption("Counts of pairs per source and split value; '(none)' counts pairs without one.")

st.subheader("Chosen vs rejected length")
units = charts.length_units(store)
unit = st.segmented_control("Length unit", list(units), default="characters", key="wb.overview.unit",
                            help="; ".join(f"{name}: {definition}" for name, (_, _, definition) in units.items()),
                            required=True)
overview.length_section(store, unit, units[unit][2])
overview.longer_wins_section(store, unit)

st.subheader("Analyzer runs")
overview.analyzer_summaries(summary)
