"""Bias: which surface factors (length, formatting, tone, ...) predict the label, overall and per slice."""
from __future__ import annotations

import streamlit as st

from analyzers import bias_model, get_analyzer
from workbench.ui import analyzer_panel, bias_view, state

store = state.store()
st.title("Bias")
state.show_flashes()
if store.n_pairs() == 0:
    st.info("No pairs yet: load a dataset first.", icon=":material/inbox:")
    st.page_link("pages/load.py", label="Go to Load data", icon=":material/upload_file:")
    st.stop()

info = bias_view.active_run(store)
if info is None:
    st.info("The bias analyzer has not run on this workspace yet. Run it here (or on the Analyzers page); it adds "
            "the per-pair factor columns this page reads.", icon=":material/info:")
analyzer_panel.run_panel(store, get_analyzer(bias_view.ANALYZER), expanded=info is None)
if info is None:
    st.stop()

st.caption(f"From bias run `{info.run_id}` ({info.n_pairs or 0:,} pairs; settings {bias_view.settings_text(info)}). "
           "Ties are excluded from every win rate, model fit and AUC.")
row = st.columns([2, 1])
choice = row[0].selectbox("Slice by", bias_view.slice_choices(store), key="wb.bias.slice",
                          help="Compute the figures per value of this column (the 20 most frequent values), "
                               "besides all pairs: pair columns, metadata keys, other analyzers' columns.")
bootstrap = int(row[1].number_input("Bootstrap resamples", min_value=0, max_value=2000, value=200, step=50,
                                    key="wb.bias.bootstrap",
                                    help="Resamples of the pairs for the coefficients' 95% intervals (0: none)."))
with st.spinner("Fitting the factor models…"):
    with state.user_errors():
        full = bias_view.report(store, info, choice, bootstrap)
overall = full["overall"]

st.subheader("Dataset statistics")
bias_view.statistics_metrics(overall)

st.subheader("Factor effects")
field = st.segmented_control("Coefficient", ["coefficient", "alone", "controlled"], default="coefficient",
                             key="wb.bias.field", required=True,
                             help="coefficient: every factor in one model (bootstrap intervals); alone: each factor by "
                                  "itself; controlled: each factor with the length difference (Wald intervals).")
st.plotly_chart(bias_view.coefficient_figure(full, field), key="wb.bias.coefficients")
st.caption("Bradley-Terry (logistic, no intercept, both orientations of each pair) on standardized chosen-minus-rejected "
           "differences: a point right of 0 means the side with more of the factor tends to win. Bars: 95% intervals.")
bias_view.effects_table(overall, key="wb.bias.effects")
for value, part in full["slices"].items():
    with st.expander(f"{choice} = {value}: {part['statistics']['decided_pairs']:,} decided pairs"):
        bias_view.statistics_metrics(part)
        bias_view.effects_table(part, key=f"wb.bias.effects.{value}")
if full.get("slices_left_out"):
    st.caption(f"{full['slices_left_out']:,} less frequent values of {choice} are not shown.")

st.subheader("Win rate against length difference")
frame = bias_view.bias_frame(store, info, bias_view.ALL_PAIRS)
unit = overall.get("length_unit", "tokens")
table = bias_model.win_rate_by_length(frame, unit)
st.plotly_chart(bias_view.win_rate_figure(table, unit), key="wb.bias.win_rate")
st.caption(f"Share of decided pairs whose longer response won, by absolute {unit} difference (10-token bins; "
           "equal lengths left out); bars are Wilson 95% intervals. A flat line at 50% means no length preference.")

st.subheader("Filters")
bias_view.quick_filter_buttons()

st.subheader("Length-balanced export")
st.caption("Token differences binned in 10-token bins over [-200, 200]; each bin and its mirror are subsampled "
           "(seeded) to the smaller count, so within every bin the chosen side is longer as often as shorter.")
bias_view.balance_section(store, info)
