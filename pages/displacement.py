"""Displacement: which pairs will make DPO lower the chosen response's likelihood (ches analyzer)."""
from __future__ import annotations

import streamlit as st

from analyzers import get_analyzer
from workbench.ui import analyzer_panel, likelihood_view as view, state

store = state.store()
st.title("Displacement")
state.show_flashes()
st.caption("CHES scores (Razin et al., ICLR 2025) under the causal LM you plan to train with DPO. Pairs whose two "
           "responses the model sees as alike (high ln-CHES) are the ones that make DPO push the chosen response's "
           "likelihood down; filtering them out is the paper's fix.")

if store.n_pairs() == 0:
    st.info("No pairs yet: load a dataset first.", icon=":material/inbox:")
    st.stop()
ran = view.has_run(store, "ches")
analyzer_panel.run_panel(store, get_analyzer("ches"), expanded=not ran)
if not ran:
    st.info("Run the `ches` analyzer above to see the scores (the default model is the embedded SmolLM2-135M-Instruct; "
            "point 'model' at the model you will train).", icon=":material/play_circle:")
    st.stop()

frame = view.result_frame(store, ["ches.ln_ches", "ches.ches", "ches.truncated", "ches.boundary_mismatch",
                                  "ches.chosen_tokens", "ches.rejected_tokens", "ches.chosen_logprob",
                                  "ches.rejected_logprob", "ches.edit_similarity"])
frame["length_delta_tokens"] = frame["ches.chosen_tokens"] - frame["ches.rejected_tokens"]
frame["logprob_margin"] = frame["ches.chosen_logprob"] - frame["ches.rejected_logprob"]
view.ches_metrics(frame)

by_source = st.toggle("Split by source", value=False, key="wb.ches.by_source")
left, right = st.columns(2)
left.plotly_chart(view.distribution_figure(frame, "ches.ln_ches", "ln-CHES", by_source), key="wb.ches.hist.ln")
right.plotly_chart(view.distribution_figure(frame, "ches.ches", "CHES", by_source), key="wb.ches.hist.raw")
st.caption(f"ln-CHES: {view.CHES_HELP['ln_ches']} CHES: {view.CHES_HELP['ches']}")

st.subheader("Filter out the risky pairs")
view.ches_filters(frame)

st.subheader("What goes with a high ln-CHES")
left, right = st.columns(2)
left.plotly_chart(view.scatter_figure(frame, "length_delta_tokens", "ches.ln_ches", "length delta (tokens, chosen - rejected)",
                                      "ln-CHES"), key="wb.ches.scatter.length")
right.plotly_chart(view.scatter_figure(frame, "logprob_margin", "ches.ln_ches",
                                       "log-prob margin log pi(chosen) - log pi(rejected)", "ln-CHES"),
                   key="wb.ches.scatter.logprob")
st.caption("Each dot is a pair (a sample of 20,000 when there are more). Length delta counts the model's tokens of "
           "each response plus EOS; the log-prob margin comes from the same forward passes as the scores.")

st.subheader("Highest and lowest ln-CHES pairs")
view.extreme_pairs(store, frame, "ches.ln_ches")
