"""Sections of the Displacement (ches) and Margins (logprob, reward, direction) pages.

Numbers come from the per-pair columns of the latest complete runs (``analyzer.column`` in the workspace
view); one-click filters become ordinary structured filters, so Explore and Export see exactly the same set.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from workbench.filters import Filter, FilterSpec
from workbench.ui import filters as filter_ui
from workbench.ui import state

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

MAX_SCATTER_POINTS = 20_000

CHES_HELP = {
    "ln_ches": "Length-normalized CHES: <s+/|y+|, s-/|y-|> - ||s+/|y+|||^2, s = sum of the final hidden states that "
               "predict the response tokens. Higher = the model sees the two responses as more alike = DPO is more "
               "likely to lower the chosen response's likelihood. The paper filters out the highest.",
    "ches": "CHES: <s+, s-> - ||s+||^2 (not length-normalized; grows with response length).",
    "truncated": "Pairs with a side cut to max_length tokens; their scores cover only what was kept.",
    "mismatch": "Pairs whose prompt tokens changed when tokenized together with the response; those sides were "
                "tokenized apart so the prompt/response boundary stays exact.",
}


# ---------------------------------------------------------------- reading columns

@st.cache_data(show_spinner=False, max_entries=16)
def _frame(_store: "WorkspaceStore", folder: str, revision: int, columns: tuple[str, ...]) -> pd.DataFrame:
    from workbench import query

    return query.fetch(_store, None, columns=list(columns))


def result_frame(store: "WorkspaceStore", columns: list[str]) -> pd.DataFrame:
    """pair_id, source, label and the given ``analyzer.column`` columns for every pair (cached per revision)."""
    available = store.available_columns()
    wanted = ["pair_id", "source", "label"] + [c for c in columns if c in available]
    return _frame(store, str(store.folder), state.revision(), tuple(wanted))


def has_run(store: "WorkspaceStore", analyzer: str) -> bool:
    return analyzer in store.active_runs()


def apply_filters(new_filters: list[Filter], message: str, replace_columns: tuple[str, ...] = ()) -> None:
    """Add filters to the shared filter state (dropping earlier ones on ``replace_columns``) and say so."""
    filter_ui.add_filters(new_filters, replacing=replace_columns)
    state.flash(message + " Open Explore to see the pairs or Export to write them.", "success")


def filter_link_row() -> None:
    with st.container(horizontal=True):
        st.page_link("pages/explore.py", label="Explore the filtered pairs", icon=":material/table_view:")
        st.page_link("pages/export.py", label="Export them", icon=":material/download:")


# ---------------------------------------------------------------- displacement

def ches_metrics(frame: pd.DataFrame) -> None:
    values = frame["ches.ln_ches"].dropna()
    cols = st.columns(4)
    cols[0].metric("Median ln-CHES", f"{values.median():.4g}" if len(values) else "—", help=CHES_HELP["ln_ches"])
    cols[1].metric("95th percentile", f"{values.quantile(0.95):.4g}" if len(values) else "—",
                   help="95% of pairs have a lower ln-CHES. Pairs above it are the riskiest 5%.")
    cols[2].metric("Truncated pairs", f"{int(frame['ches.truncated'].sum()):,}", help=CHES_HELP["truncated"])
    cols[3].metric("Boundary mismatches", f"{int(frame['ches.boundary_mismatch'].sum()):,}", help=CHES_HELP["mismatch"])


def central_range(values: pd.Series) -> tuple[float, float] | None:
    """The 0.5th-99.5th percentile range when a few extreme values stretch the full range past 3x of it, else
    None (show everything)."""
    if len(values) < 50:
        return None
    low, high = values.quantile(0.005), values.quantile(0.995)
    spread = values.max() - values.min()
    return (float(low), float(high)) if high > low and spread > 3 * (high - low) else None


def distribution_figure(frame: pd.DataFrame, column: str, title: str, by_source: bool):
    import plotly.express as px

    data = frame[[column, "source"]].dropna(subset=[column])
    shown = central_range(data[column])
    if shown is not None:  # a few extreme pairs would squeeze everything else into a few bins
        inside = data[column].between(*shown)
        title = f"{title} (the central 99%; {int((~inside).sum()):,} pairs outside)"
        data = data[inside]
    figure = px.histogram(data, x=column, color="source" if by_source else None, nbins=60, barmode="overlay",
                          opacity=0.7 if by_source else 1.0, title=title)
    figure.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="")
    figure.update_xaxes(title=column)
    figure.update_yaxes(title="pairs")
    return figure


def scatter_figure(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str):
    import plotly.express as px

    data = frame.dropna(subset=[x, y])
    if len(data) > MAX_SCATTER_POINTS:
        data = data.sample(MAX_SCATTER_POINTS, random_state=0)
    figure = px.scatter(data, x=x, y=y, color="source", hover_data=["pair_id", "label"], render_mode="webgl",
                        opacity=0.6)
    figure.update_layout(height=360, margin=dict(l=10, r=10, t=30, b=10), legend_title_text="")
    figure.update_xaxes(title=x_title)
    figure.update_yaxes(title=y_title)
    return figure


def window_bounds(values: pd.Series, quantile: float, size: int) -> tuple[float, float, int]:
    """Lowest and highest value of the ``size`` pairs centred on ``quantile`` of the sorted values, and the count."""
    ordered = np.sort(values.dropna().to_numpy())
    if not len(ordered):
        return float("nan"), float("nan"), 0
    size = max(1, min(size, len(ordered)))
    centre = int(round(quantile * (len(ordered) - 1)))
    start = min(max(0, centre - size // 2), len(ordered) - size)
    low, high = float(ordered[start]), float(ordered[start + size - 1])
    return low, high, int(((ordered >= low) & (ordered <= high)).sum())


def ches_filters(frame: pd.DataFrame) -> None:
    """The one-click filters of the paper: drop the top X%, keep the bottom k, a window around a quantile."""
    column = "ches.ln_ches"
    values = frame[column]
    n = int(values.notna().sum())
    st.caption("Each button replaces any earlier ln-CHES filter and keeps your other filters. The paper kept the "
               "lowest 5% by ln-CHES on its refusal data, and studied windows of 512 pairs around chosen quantiles.")
    left, middle, right = st.columns(3)
    with left, st.container(border=True):
        percent = st.number_input("Drop the top % by ln-CHES", min_value=0.1, max_value=99.9, value=5.0, step=1.0,
                                  key="wb.ches.drop_top", help="Removes the pairs with the highest ln-CHES.")
        if st.button("Drop them", key="wb.ches.drop_top.apply", icon=":material/filter_alt:"):
            apply_filters([Filter(column, "bottom %", round(100 - percent, 6))],
                          f"Filter set: keep the bottom {100 - percent:g}% by ln-CHES (drops the top {percent:g}%).",
                          (column,))
            st.rerun()
    with middle, st.container(border=True):
        keep = st.number_input("Keep the bottom k", min_value=1, max_value=max(n, 1), value=min(512, max(n, 1)),
                               step=1, key="wb.ches.bottom_k", help="Keeps the k pairs with the lowest ln-CHES.")
        if st.button("Keep them", key="wb.ches.bottom_k.apply", icon=":material/filter_alt:"):
            apply_filters([Filter(column, "bottom k", int(keep))], f"Filter set: the {int(keep):,} lowest ln-CHES pairs.",
                          (column,))
            st.rerun()
    with right, st.container(border=True):
        quantile = st.slider("Window around quantile q", 0.0, 1.0, 0.5, 0.01, key="wb.ches.window_q",
                             help="Pairs whose ln-CHES rank is centred on this quantile.")
        size = st.number_input("Window size N", min_value=1, max_value=max(n, 1), value=min(512, max(n, 1)), step=1,
                               key="wb.ches.window_n")
        if st.button("Keep the window", key="wb.ches.window.apply", icon=":material/filter_alt:"):
            low, high, count = window_bounds(values, quantile, int(size))
            apply_filters([Filter(column, "between", [low, high])],
                          f"Filter set: ln-CHES between {low:.6g} and {high:.6g} ({count:,} pairs around q={quantile:g}).",
                          (column,))
            st.rerun()
    filter_link_row()


def extreme_pairs(store: "WorkspaceStore", frame: pd.DataFrame, column: str, count: int = 10) -> None:
    """The highest and lowest pairs by ``column`` in a list, and the selected one side by side."""
    from workbench.ui import pair_view

    data = frame.dropna(subset=[column])
    if data.empty:
        return
    top = data.nlargest(count, column)
    bottom = data.nsmallest(count, column)
    choice = st.segmented_control("Show", ["highest", "lowest"], default="highest", key=f"wb.extremes.{column}",
                                  required=True)
    listed = top if choice == "highest" else bottom
    shown = listed[["pair_id", "source", "label", column]].reset_index(drop=True)
    event = st.dataframe(shown, hide_index=True, on_select="rerun", selection_mode="single-row",
                         key=f"wb.extremes.table.{column}.{choice}", width="stretch")
    rows = event.selection.rows if event and event.selection else []
    pair_id = shown.loc[rows[0], "pair_id"] if rows else shown.loc[0, "pair_id"]
    with state.user_errors():
        pair_view.pair_view(store, str(pair_id))


# ---------------------------------------------------------------- margins

MARGIN_COLUMNS = {
    "logprob.reference_margin": "Reference log-ratio log pi_ref(chosen) - log pi_ref(rejected) (difficulty; negative = mis-ranked).",
    "logprob.reference_margin_mean": "The same with per-token mean log-probs.",
    "logprob.dpo_margin": "DPO implicit reward margin (policy vs reference).",
    "logprob.density_ratio_margin": "Density-ratio margin (strong vs weak model).",
    "reward.margin_mean": "Mean reward-model margin r(chosen) - r(rejected) across reward models.",
    "direction.direction_margin": "Margin along the contrast direction (positive = chosen further toward set 1).",
    "ches.ln_ches": "ln-CHES (likelihood displacement risk; not a preference margin, shown for comparison).",
}
# Margins that say which side a source prefers (positive = agrees with the label).
PREFERENCE_MARGINS = ("logprob.reference_margin_mean", "logprob.dpo_margin", "logprob.density_ratio_margin",
                      "reward.margin_mean", "direction.direction_margin")


def available_margins(store: "WorkspaceStore") -> list[str]:
    columns = store.available_columns()
    return [c for c in MARGIN_COLUMNS if c in columns]


def accuracy_table(frame: pd.DataFrame, betas: list[float]) -> pd.DataFrame:
    """R, R~ and R* (per beta) with the alignment gap, overall and per source; ties excluded."""
    from analyzers.margins import idealized_ranking_accuracy, ranking_accuracy

    decided = frame[frame["label"] != "tie"]
    rows = []
    for source, part in [("(all)", decided), *sorted(decided.groupby(decided["source"].fillna("(none)")))]:
        margin = part["logprob.reference_margin"].to_numpy(np.float64)
        row = {"source": source, "pairs": len(part), "R": ranking_accuracy(margin),
               "R~ (per token)": ranking_accuracy(part["logprob.reference_margin_mean"].to_numpy(np.float64))}
        for beta in betas:
            ideal = idealized_ranking_accuracy(margin, part["logprob.rater_alpha"].to_numpy(np.float64), beta)
            row[f"R* (beta={beta:g})"] = ideal
            row[f"gap (beta={beta:g})"] = None if ideal is None or row["R"] is None else ideal - row["R"]
        rows.append(row)
    return pd.DataFrame(rows)


def mislabel_candidates(frame: pd.DataFrame, at_least: int) -> pd.DataFrame:
    """Decided pairs where at least ``at_least`` margin sources are negative (prefer the rejected side), with
    their count in 'disagreeing', most disagreeing first, then the most negative reward (or first) margin."""
    present = [c for c in PREFERENCE_MARGINS if c in frame.columns]
    disagreeing = (frame[present] < 0).sum(axis=1)
    chosen = (frame["label"] != "tie") & (disagreeing >= at_least)
    suspects = frame[chosen].assign(disagreeing=disagreeing[chosen])
    order = "reward.margin_mean" if "reward.margin_mean" in present else present[0]
    return suspects.sort_values(["disagreeing", order], ascending=[False, True])


def disagreement_where(columns: list[str], at_least: int) -> str:
    """A WHERE clause selecting pairs where at least ``at_least`` of the margin columns are negative."""
    terms = " + ".join(f"(CASE WHEN {column} < 0 THEN 1 ELSE 0 END)" for column in columns)
    return f"label <> 'tie' AND ({terms}) >= {int(at_least)}"


def margin_histogram(frame: pd.DataFrame, column: str):
    return distribution_figure(frame, column, f"{column} per source", by_source=True)


def reliability_figure(table: pd.DataFrame, predicted_name: str):
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                                line=dict(dash="dash", color="gray")))
    figure.add_trace(go.Scatter(x=table["predicted_mean"], y=table["observed_mean"], mode="lines+markers",
                                name=predicted_name, text=table["pairs"].map(lambda n: f"{n} pairs")))
    figure.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10))
    figure.update_xaxes(title=f"predicted P(chosen preferred) = sigmoid({predicted_name})", range=[0, 1])
    figure.update_yaxes(title="observed share of raters preferring chosen", range=[0, 1])
    return figure


def mislabel_section(frame: pd.DataFrame, columns: list[str]) -> None:
    """Pairs whose margin sources disagree with the label, and a one-click SQL filter to them."""
    # A source counts only when it has values (logprob's DPO and density-ratio margins stay empty without a
    # policy or strong/weak model).
    preference = [c for c in PREFERENCE_MARGINS if c in columns and c in frame and frame[c].notna().any()]
    if not preference:
        st.info("No margin source has values yet: run `logprob`, `reward` or `direction`.")
        return
    if len(preference) == 1:
        st.caption(f"Only one margin source ({preference[0]}), so this lists the pairs it alone ranks against the "
                   "label. Run `reward` with one or more reward models, or `direction`, to cross-check.")
    at_least = st.number_input("Sources that must disagree with the label", min_value=1,
                               max_value=max(len(preference), 1), value=max(1, (len(preference) + 1) // 2),
                               key="wb.margins.at_least",
                               help="A source disagrees when its margin is negative: it prefers the rejected side. "
                                    f"Sources here: {', '.join(preference)}.")
    suspects = mislabel_candidates(frame, int(at_least))
    st.metric("Candidates", f"{len(suspects):,}", help="Decided pairs where at least that many margin sources prefer "
              "the rejected response.")
    st.dataframe(suspects.head(200)[["pair_id", "source", "disagreeing", *preference]], hide_index=True,
                 width="stretch")
    if st.button("Filter to these pairs", key="wb.margins.suspects.apply", icon=":material/filter_alt:"):
        spec = filter_ui.current_spec()
        filter_ui.set_spec(FilterSpec(spec.filters, disagreement_where(preference, int(at_least))))
        state.flash(f"SQL filter set: pairs where at least {int(at_least)} of {', '.join(preference)} are negative. "
                    "Open Explore to review them or Export to write them (or exclude them).")
        st.rerun()
    filter_link_row()


def reliability_section(frame: pd.DataFrame) -> None:
    """Predicted P(chosen preferred) against the observed rater proportions, from the first margin present."""
    from analyzers.margins import reliability_curve
    from workbench.lm_scoring import sigmoid

    predicted = next((c for c in ("reward.margin_mean", "logprob.dpo_margin", "logprob.reference_margin_mean")
                      if c in frame and frame[c].notna().any()), None)
    if predicted is None:
        return
    st.subheader("Reliability")
    table = reliability_curve(sigmoid(frame[predicted].to_numpy(np.float64)),
                              frame["logprob.rater_alpha"].to_numpy(np.float64))
    st.plotly_chart(reliability_figure(table, predicted), key="wb.margins.reliability")
    st.caption("Pairs binned by the predicted probability that raters prefer the chosen side; each point is the "
               "bin's mean observed rater proportion. On the diagonal = calibrated.")
