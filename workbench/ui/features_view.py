"""Widgets of the Features page: the run panel when the analyzer has not run, the headline AUCs, the feature
table, one feature's detail (its top pairs shown with the feature's side first, a filter button), and a 2-D map
of the pairs. Numbers come from the run's summary and per-pair columns; every one carries its definition."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from workbench.filters import Filter, FilterSpec
from workbench.ui import analyzer_panel, filters, pair_view, state

if TYPE_CHECKING:
    from workbench.workspace import RunInfo, WorkspaceStore

ANALYZER = "features"
FEATURE_KEY = "wb.features.feature"
PAIR_KEY = "wb.features.pair_id"
TABLE_KEY = "wb.features.table"
TOP_PAIRS_KEY = "wb.features.top_pairs"

FEATURE_COLUMNS = {
    "feature": "The feature's index j; its per-pair column is features.feature_j.",
    "description": "Words over-represented on the side with more of the feature, among its top-activating pairs "
                   "(log-odds with a prior), or the LLM's description when an LLM describer ran.",
    "prevalence": "Share of all pairs where the feature is active (nonzero activation).",
    "coefficient": "Length-controlled effect: logistic coefficient of the standardized activation in "
                   "'A preferred ~ 1 + length_delta + z_j'. Positive: the side with more of the feature tends to win.",
    "p_value": "Wald p-value of that coefficient (two-sided); below 0.05 is conventionally significant.",
    "win_rate_active": "Among decided pairs where the feature is active, the share whose chosen side is the one "
                       "with more of the feature.",
    "delta_win_rate": "win_rate_active minus 50%: how much having more of the feature changes the win rate.",
    "explained_variance_ratio": "PCA: share of the variance of the training differences along this axis.",
    "axis_accuracy": "PCA: held-out share of decided pairs the axis (sign chosen on training pairs) ranks correctly.",
    "fidelity": "LLM describer: Pearson r between |activation| and the LLM's yes/no judgement of the description.",
}
SUMMARY_HELP = {
    "signal_auc": "Held-out ROC-AUC of predicting which side was preferred from all features + the length "
                  "difference (logistic model fit on the training prompts, scored on the validation prompts).",
    "reference_auc": "The same held-out AUC for a logistic probe on the raw embedding difference: the signal "
                     "the embedding holds.",
    "signal_share": "(features AUC - 0.5) / (reference AUC - 0.5): how much of the probe's signal the few features keep.",
    "length_only_auc": "Held-out AUC of the word-length difference alone: what length explains by itself.",
    "mean_direction_accuracy": "Held-out share of decided pairs whose chosen side scores higher on the average "
                               "preference direction (mean chosen-minus-rejected difference).",
}


# ---------------------------------------------------------------- running

def run_panel(store: "WorkspaceStore", *, expanded: bool) -> None:
    """The analyzer's settings form and job monitor (the shared analyzer panel)."""
    from analyzers import get_analyzer

    analyzer_panel.run_panel(store, get_analyzer(ANALYZER), expanded=expanded)
    st.caption("Training takes seconds to minutes on a CPU (faster on a GPU); embeddings are cached in the "
               "workspace, so a second run with other SAE settings is quicker.")


# ---------------------------------------------------------------- summary and table

def _fmt(value: Any, kind: str = "number") -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if kind == "share" else f"{value:.3f}"


def headline(info: "RunInfo") -> None:
    summary = info.summary or {}
    row = st.columns(5)
    row[0].metric("Features AUC", _fmt(summary.get("signal_auc")), help=SUMMARY_HELP["signal_auc"], border=True)
    row[1].metric("Embedding probe AUC", _fmt(summary.get("reference_auc")), help=SUMMARY_HELP["reference_auc"],
                  border=True)
    row[2].metric("Signal captured", _fmt(summary.get("signal_share"), "share"), help=SUMMARY_HELP["signal_share"],
                  border=True)
    row[3].metric("Length-only AUC", _fmt(summary.get("length_only_auc")), help=SUMMARY_HELP["length_only_auc"],
                  border=True)
    row[4].metric("Average direction accuracy", _fmt(summary.get("mean_direction_accuracy"), "share"),
                  help=SUMMARY_HELP["mean_direction_accuracy"], border=True)
    settings = info.settings or {}
    st.caption(f"Run {info.run_id}: mode {summary.get('mode', settings.get('mode'))}, encoder "
               f"`{info.model}`, {settings.get('n_features')} features; fit on {summary.get('n_training_pairs', 0):,} "
               f"training pairs, AUCs over {summary.get('n_validation_decided', 0):,} decided validation pairs "
               "(ties excluded; a prompt is never in both splits).")


def feature_frame(info: "RunInfo") -> pd.DataFrame:
    """One row per feature from the run's summary, strongest length-controlled effect first."""
    records = (info.summary or {}).get("features") or []
    frame = pd.DataFrame([{key: record.get(key) for key in FEATURE_COLUMNS if key in record or key == "feature"}
                          for record in records])
    if frame.empty:
        return frame
    frame["description"] = [record.get("llm_description") or record.get("description") for record in records]
    order = frame["p_value"].fillna(2.0) if "p_value" in frame else pd.Series(range(len(frame)))
    return frame.assign(_order=order.to_numpy()).sort_values(["_order", "feature"]).drop(columns="_order")


def feature_table(info: "RunInfo") -> int | None:
    """The feature table; returns the selected feature's index (the first row when none is selected)."""
    frame = feature_frame(info)
    if frame.empty:
        st.caption("The run has no features.")
        return None
    config = {name: st.column_config.NumberColumn(name, help=text, format="percent" if name in (
        "prevalence", "win_rate_active", "delta_win_rate", "explained_variance_ratio", "axis_accuracy") else "%.3g")
              for name, text in FEATURE_COLUMNS.items() if name not in ("feature", "description")}
    config["feature"] = st.column_config.NumberColumn("feature", help=FEATURE_COLUMNS["feature"])
    config["description"] = st.column_config.TextColumn("description", help=FEATURE_COLUMNS["description"],
                                                        width="large")
    event = st.dataframe(frame, key=TABLE_KEY, on_select="rerun", selection_mode="single-row", hide_index=True,
                         width="stretch", column_config=config, height=min(38 + 35 * len(frame), 38 + 35 * 12))
    st.caption("Sorted by p-value (most significant first). Select a row to open the feature below; hover a column "
               "name for its definition. Pairs are framed as A vs B (see the per-pair column features.a_is_chosen).")
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows and rows[0] < len(frame):
        st.session_state[FEATURE_KEY] = int(frame["feature"].iloc[rows[0]])
    if st.session_state.get(FEATURE_KEY) not in set(frame["feature"].astype(int)):
        st.session_state[FEATURE_KEY] = int(frame["feature"].iloc[0])
    return int(st.session_state[FEATURE_KEY])


# ---------------------------------------------------------------- one feature

def active_filter(feature: int) -> Filter:
    return Filter(f"{ANALYZER}.feature_{feature}", "!=", 0)


def _filter_active(feature: int) -> None:
    """Add 'feature j is active' to the shared filter state (Explore and Export use it)."""
    wanted = active_filter(feature)
    filters.add_filters([wanted])
    state.flash(f"Added the filter '{wanted.describe()}': Explore and Export now show the pairs where feature "
                f"{feature} is active (with your other filters).", "success")


def top_pairs_frame(store: "WorkspaceStore", record: dict) -> pd.DataFrame:
    """The feature's top pairs with the feature's side first: 'feature side' says which response has more of it."""
    from workbench import query

    top = record.get("top_pairs") or []
    if not top:
        return pd.DataFrame()
    ids = [item["pair_id"] for item in top]
    spec = FilterSpec([Filter("pair_id", "in", ids)])
    texts = query.fetch(store, spec, columns=["pair_id", "chosen", "rejected", f"{ANALYZER}.a_is_chosen"])
    texts = texts.set_index("pair_id")
    rows = []
    for item in top:
        if item["pair_id"] not in texts.index:
            continue
        row = texts.loc[item["pair_id"]]
        a_is_chosen = bool(row[f"{ANALYZER}.a_is_chosen"])
        feature_in_a = item["activation"] > 0
        feature_side_is_chosen = a_is_chosen == feature_in_a
        with_feature, without = (row["chosen"], row["rejected"]) if feature_side_is_chosen else (row["rejected"], row["chosen"])
        rows.append({"pair_id": item["pair_id"], "|activation|": abs(item["activation"]),
                     "feature side": "chosen" if feature_side_is_chosen else "rejected",
                     "response with more of it": _preview(with_feature), "other response": _preview(without)})
    return pd.DataFrame(rows)


def _preview(text: Any, limit: int = 220) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def feature_detail(store: "WorkspaceStore", info: "RunInfo", feature: int) -> None:
    records = {int(r["feature"]): r for r in (info.summary or {}).get("features") or []}
    record = records.get(feature)
    if record is None:
        return
    st.subheader(f"Feature {feature}")
    st.markdown(f"**{record.get('llm_description') or record.get('description')}**")
    row = st.columns(4)
    row[0].metric("Prevalence", _fmt(record.get("prevalence"), "share"), help=FEATURE_COLUMNS["prevalence"])
    row[1].metric("Coefficient", _fmt(record.get("coefficient")), help=FEATURE_COLUMNS["coefficient"])
    row[2].metric("p-value", "—" if record.get("p_value") is None else f"{record['p_value']:.2g}",
                  help=FEATURE_COLUMNS["p_value"])
    row[3].metric("Win rate when active", _fmt(record.get("win_rate_active"), "share"),
                  help=FEATURE_COLUMNS["win_rate_active"])
    if record.get("fidelity") is not None:
        st.caption(f"LLM description fidelity r = {record['fidelity']:.2f} over {record.get('fidelity_judgements', 0)} "
                   "judged pairs (Pearson r between |activation| and the LLM's yes/no judgement).")
    if record.get("converged") is False and record.get("p_value") is not None:
        st.caption("The logistic fit for this feature did not settle (the feature nearly separates the labels); "
                   "read its coefficient and p-value with care.")
    st.button(f"Filter: pairs where feature {feature} is active", key=f"wb.features.filter.{feature}",
              icon=":material/filter_alt:", on_click=_filter_active, args=(feature,),
              help="Adds 'features.feature_j != 0' to the filters shared by Explore and Export; it combines with "
                   "your other filters and other analyzers' columns.")
    frame = top_pairs_frame(store, record)
    if frame.empty:
        st.caption("The feature is never active.")
        return
    st.markdown("**Top-activating pairs** (each shown with the response that has more of the feature first)")
    event = st.dataframe(frame, key=f"{TOP_PAIRS_KEY}.{feature}", on_select="rerun", selection_mode="single-row",
                         hide_index=True, width="stretch", column_config={
                             "|activation|": st.column_config.NumberColumn(
                                 "|activation|", format="%.3f", help="Size of the feature's activation on the pair."),
                             "feature side": st.column_config.TextColumn(
                                 "feature side", help="Whether the chosen or the rejected response has more of the feature."),
                             "response with more of it": st.column_config.TextColumn(width="large"),
                             "other response": st.column_config.TextColumn(width="large")})
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows and rows[0] < len(frame):
        st.session_state[PAIR_KEY] = str(frame["pair_id"].iloc[rows[0]])
    pair_id = st.session_state.get(PAIR_KEY)
    if pair_id in set(frame["pair_id"]):
        side = frame.set_index("pair_id").loc[pair_id, "feature side"]
        st.caption(f"Pair {pair_id}: the feature is stronger in the **{side}** response.")
        with state.user_errors():
            pair_view.pair_view(store, pair_id)


# ---------------------------------------------------------------- the map

def map_coordinates(activations: pd.DataFrame) -> pd.DataFrame:
    """First two principal components of the activation matrix (rows = pairs)."""
    import numpy as np

    values = activations.to_numpy(dtype=float)
    centred = values - values.mean(axis=0)
    if len(values) < 2 or not np.any(centred):
        return pd.DataFrame({"pc1": np.zeros(len(values)), "pc2": np.zeros(len(values))}, index=activations.index)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ components[:2].T
    if coords.shape[1] < 2:
        coords = np.column_stack([coords, np.zeros(len(values))])
    return pd.DataFrame({"pc1": coords[:, 0], "pc2": coords[:, 1]}, index=activations.index)


def pair_map(store: "WorkspaceStore", info: "RunInfo", max_points: int = 20000) -> None:
    import plotly.express as px

    from workbench import query

    columns = store.available_columns()
    names = [f"{ANALYZER}.feature_{j}" for j in range(int((info.settings or {}).get("n_features", 0)))]
    names = [name for name in names if name in columns]
    if not names:
        return
    colour_options = [name for name, meta in columns.items()
                      if meta["group"] not in ("pair", "tag") and filters.is_numeric(meta["type"].upper())]
    colour_options = ["source", "label", *colour_options]
    default = f"{ANALYZER}.feature_{st.session_state.get(FEATURE_KEY, 0)}"
    colour = st.selectbox("Colour by", colour_options,
                          index=colour_options.index(default) if default in colour_options else 0,
                          key="wb.features.map_colour",
                          help="Any pair field or numeric column of any analyzer's latest run.")
    frame = query.fetch(store, filters.current_spec(), columns=list(dict.fromkeys(["pair_id", colour, *names])))
    if len(frame) > max_points:
        frame = frame.sample(max_points, random_state=0)
    coords = map_coordinates(frame[names].fillna(0.0))
    plot = pd.concat([frame[["pair_id", colour]].reset_index(drop=True), coords.reset_index(drop=True)], axis=1)
    figure = px.scatter(plot, x="pc1", y="pc2", color=colour, hover_data=["pair_id"], height=460,
                        labels={"pc1": "component 1", "pc2": "component 2"})
    figure.update_traces(marker={"size": 5, "opacity": 0.75})
    st.plotly_chart(figure, width="stretch", key="wb.features.map")
    st.caption(f"Each dot is a pair matching the active filters ({len(plot):,} shown"
               + (f", a sample of {max_points:,}" if len(frame) >= max_points else "") +
               "), placed by the first two principal components of its feature activations: pairs close together "
               "activate similar features with similar signs.")
