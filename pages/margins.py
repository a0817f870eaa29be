"""Margins: how the reference model, reward models and directions rank each pair; likely mislabelled pairs."""
from __future__ import annotations

import streamlit as st

from analyzers import get_analyzer
from workbench.ui import analyzer_panel, likelihood_view as view, state

store = state.store()
st.title("Margins")
state.show_flashes()
st.caption("Per-pair margins from the reference model (logprob), reward models (reward) and contrast directions "
           "(direction). Positive = the source agrees with the label. Ties are excluded from every accuracy.")

if store.n_pairs() == 0:
    st.info("No pairs yet: load a dataset first.", icon=":material/inbox:")
    st.stop()
runs = {name: view.has_run(store, name) for name in ("logprob", "reward", "direction")}
missing = [name for name, ran in runs.items() if not ran]
if missing:
    chosen = st.selectbox("Run an analyzer", missing, key="wb.margins.run_choice",
                          help="logprob: reference-model log-probs and ranking accuracy; reward: reward-model margins; "
                               "direction: margin along a contrast direction.")
    analyzer_panel.run_panel(store, get_analyzer(chosen), expanded=not any(runs.values()))
if not any(runs.values()):
    st.info("Run `logprob`, `reward` or `direction` above to see margins.", icon=":material/play_circle:")
    st.stop()

columns = view.available_margins(store)
extra = ["logprob.rater_alpha", "reward.bucket", "reward.soft_label"]
frame = view.result_frame(store, columns + extra)

if runs["logprob"]:
    st.subheader("Ranking accuracy")
    summary = store.active_runs()["logprob"].summary or {}
    betas = [float(b) for b in (summary.get("idealized_accuracy") or {"0.1": None})]
    table = view.accuracy_table(frame, betas)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        name: st.column_config.NumberColumn(format="percent") for name in table.columns if name not in ("source", "pairs")})
    st.caption("R: share of decided pairs whose chosen response the reference model finds at least as likely. "
               "R~: the same with per-token means. R*: the share the DPO/RLHF optimum would rank correctly, "
               "1[ref log-ratio + (1/beta) log(alpha/(1-alpha)) > 0], alpha = the share of raters preferring chosen "
               "(from the data where present, else the rater_alpha setting). Gap = R* - R. Chen et al. found R < 60% "
               "for most preference-tuned models.")

st.subheader("Margin distributions")
column = st.selectbox("Margin", columns, key="wb.margins.column", format_func=lambda c: c,
                      help="; ".join(f"{c}: {view.MARGIN_COLUMNS[c]}" for c in columns))
st.plotly_chart(view.margin_histogram(frame, column), key="wb.margins.hist")
st.caption(view.MARGIN_COLUMNS[column])

if runs["reward"]:
    st.subheader("Preference strength buckets")
    from workbench.ui import charts

    counts = frame["reward.bucket"].value_counts().to_dict()
    st.plotly_chart(charts.count_bars({k: int(counts.get(k, 0)) for k in ("likely_flipped", "ambiguous", "strong")},
                                      "Pairs per bucket"), key="wb.margins.buckets")
    reward_summary = store.active_runs()["reward"].summary or {}
    st.caption(f"Mean reward margin across models: likely_flipped below -t, ambiguous within +-t, strong above t "
               f"(t = ambiguous_margin = {store.active_runs()['reward'].settings.get('ambiguous_margin')}). Estimated "
               f"flip rate: {reward_summary.get('estimated_flip_rate') or 0:.1%} of decided pairs.")

st.subheader("Likely mislabelled pairs")
view.mislabel_section(frame, columns)

if runs["logprob"] and (store.active_runs()["logprob"].summary or {}).get("rater_alpha_from_data"):
    view.reliability_section(frame)
