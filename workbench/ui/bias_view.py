"""Widgets of the Bias page: the slice picker, the factor report (cached per slice), its charts and table,
one-click filters into the Explore filter state, and the length-balanced tagging for export.

The numbers come from ``analyzers.bias_model`` over the bias run's per-pair columns; this module only
reads them from the workspace and draws them.
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from analyzers import bias_model
from workbench.filters import Filter
from workbench.ui import filters, state

if TYPE_CHECKING:
    from workbench.workspace import RunInfo, WorkspaceStore

ANALYZER = "bias"
ALL_PAIRS = "(all pairs)"
METADATA_PREFIX = "metadata: "
PAIR_SLICE_COLUMNS = ("source", "split", "chosen_position", "tag")
BALANCED_NOTE = "length-balanced"
_METADATA_KEY = re.compile(r"^[A-Za-z0-9_.\- ]{1,64}$")

EFFECT_HELP = {
    "factor": "The per-response factor; its difference is chosen minus rejected.",
    "definition": "What the factor counts or measures, per response.",
    "coefficient": "Bradley-Terry coefficient in the model with every factor: change in the log-odds that a side wins "
                   "per standard deviation of the difference. > 0: the side with more of it tends to win.",
    "low": "Lower end of the bootstrap 95% interval of the coefficient (pairs resampled).",
    "high": "Upper end of the bootstrap 95% interval of the coefficient.",
    "alone": "Coefficient of the factor by itself (no other factor), log-odds per standard deviation.",
    "controlled": "Coefficient of the factor fitted together with the length difference only (length-controlled); "
                  "Wald 95% interval in the next two columns.",
    "controlled_low": "Lower end of the length-controlled coefficient's Wald 95% interval.",
    "controlled_high": "Upper end of the length-controlled coefficient's Wald 95% interval.",
    "win_rate": "The side with more of this factor wins this share of the decided pairs where the two sides differ.",
    "win_pairs": "Decided pairs whose two responses differ on this factor (the win rate's denominator).",
}
STAT_HELP = {
    "longer_wins_share": "Share of decided pairs (ties and equal lengths excluded) whose chosen response is longer.",
    "length_baseline_accuracy": "Accuracy of always picking the longer response; a coin flip when both are equally long.",
    "position_a_share": "Share of decided pairs with a recorded position whose chosen response was shown as A.",
    "auc_all": "Held-out ROC-AUC (5-fold cross-validation) of the model with every factor; 0.5 means the factors tell "
               "nothing about the label, 1.0 that they predict it perfectly.",
    "auc_length": "Held-out ROC-AUC of the length difference alone.",
    "auc_without": "Held-out ROC-AUC of every factor except length.",
    "length_effect": "Bradley-Terry coefficient of the token-length difference alone (log-odds per standard deviation), "
                     "with its bootstrap 95% interval.",
}


# ---------------------------------------------------------------- data

def active_run(store: "WorkspaceStore") -> "RunInfo | None":
    return store.active_runs().get(ANALYZER)


def slice_choices(store: "WorkspaceStore") -> list[str]:
    """(all pairs), pair columns, metadata keys, and other analyzers' yes/no and text columns."""
    choices = [ALL_PAIRS, *PAIR_SLICE_COLUMNS]
    keys = store.sql_rows("SELECT DISTINCT unnest(json_keys(metadata)) AS key FROM pairs WHERE metadata IS NOT NULL "
                          "ORDER BY key LIMIT 60")
    choices += [METADATA_PREFIX + key for (key,) in keys if isinstance(key, str) and _METADATA_KEY.match(key)]
    for name, info in store.available_columns().items():
        if info["group"] not in ("pair", "tag") and info["type"].upper() in ("BOOLEAN", "VARCHAR"):
            choices.append(name)
    return choices


def _slice_sql(store: "WorkspaceStore", choice: str) -> tuple[str, list]:
    if choice == ALL_PAIRS:
        return "NULL", []
    if choice.startswith(METADATA_PREFIX):
        return "CAST(pairs.metadata ->> ? AS VARCHAR)", [choice[len(METADATA_PREFIX):]]
    columns = store.available_columns()
    if choice not in columns:
        raise KeyError(choice)
    return f"CAST({columns[choice]['sql']} AS VARCHAR)", []


@st.cache_data(show_spinner=False, max_entries=16)
def _frame(_store: "WorkspaceStore", folder: str, revision: int, run_id: str, choice: str) -> pd.DataFrame:
    columns = [name for name in _store.available_columns() if name.startswith(f"{ANALYZER}.")]
    slice_sql, params = _slice_sql(_store, choice)
    select = ", ".join(f'{_store.available_columns()[name]["sql"]} AS "{name[len(ANALYZER) + 1:]}"' for name in columns)
    frame = _store.sql_df(f"SELECT pairs.pair_id AS pair_id, pairs.label AS label, {slice_sql} AS slice_value, {select} "
                          f"FROM {_store.view_sql()} ORDER BY pairs.dataset_id, pairs.row_index", params)
    return frame


def bias_frame(store: "WorkspaceStore", info: "RunInfo", choice: str) -> pd.DataFrame:
    """pair_id, label, slice_value and every bias column (without the 'bias.' prefix)."""
    return _frame(store, str(state.workspace_folder()), state.revision(), info.run_id, choice)


@st.cache_data(show_spinner=False, max_entries=16)
def _report(_store: "WorkspaceStore", folder: str, revision: int, run_id: str, choice: str, bootstrap: int,
            seed: int, l2: float) -> dict:
    frame = _frame(_store, folder, revision, run_id, choice)
    options = bias_model.ReportOptions(bootstrap=bootstrap, seed=seed, l2=l2)
    slices = None if choice == ALL_PAIRS else frame["slice_value"]
    return bias_model.bias_report(frame, slices, options)


def report(store: "WorkspaceStore", info: "RunInfo", choice: str, bootstrap: int) -> dict:
    settings = info.settings
    return _report(store, str(state.workspace_folder()), state.revision(), info.run_id, choice, bootstrap,
                   int(settings.get("seed", 0)), float(settings.get("l2_penalty", bias_model.DEFAULT_L2)))


# ---------------------------------------------------------------- drawing

def statistics_metrics(part: dict) -> None:
    stats, auc = part["statistics"], part["auc"]
    unit = part.get("length_unit", "tokens")
    row = st.columns(4)
    share = stats.get("longer_wins_share")
    row[0].metric("Longer response wins", "—" if share is None else f"{share:.1%}",
                  help=STAT_HELP["longer_wins_share"] + f" Length in {unit}; over {stats['longer_wins_pairs']:,} pairs.")
    baseline = stats.get("length_baseline_accuracy")
    row[1].metric("Length-only baseline accuracy", "—" if baseline is None else f"{baseline:.1%}",
                  help=STAT_HELP["length_baseline_accuracy"])
    position = stats.get("position_a_share")
    row[2].metric("Chosen shown as A", "not recorded" if position is None else f"{position:.1%}",
                  help=STAT_HELP["position_a_share"])
    length = part.get("length_effect")
    row[3].metric("Length effect", "—" if not length else f"{length['coefficient']:+.2f}",
                  help=STAT_HELP["length_effect"] + ("" if not length or length["low"] is None else
                                                     f" Interval: [{length['low']:+.2f}, {length['high']:+.2f}]."))
    row = st.columns(4)
    for column, key, label, help_key in ((row[0], "all_factors", "Held-out AUC, all factors", "auc_all"),
                                         (row[1], "length_only", "Held-out AUC, length only", "auc_length"),
                                         (row[2], "without_length", "Held-out AUC, without length", "auc_without")):
        value = auc.get(key)
        column.metric(label, "—" if value is None else f"{value:.3f}", help=STAT_HELP[help_key])
    chosen, rejected = stats.get(f"mean_chosen_{unit}"), stats.get(f"mean_rejected_{unit}")
    row[3].metric(f"Mean {unit}, chosen / rejected", "—" if chosen is None else f"{chosen:,.1f} / {rejected:,.1f}",
                  help=f"Mean length in {unit} of the chosen and of the rejected responses over decided pairs.")
    st.caption(f"{stats['decided_pairs']:,} decided pairs; {stats['ties']:,} ties are excluded from every figure "
               "that needs a winner (win rates, model fits, AUC).")
    if part.get("note"):
        st.info(part["note"], icon=":material/info:")


def coefficient_figure(full: dict, field: str = "coefficient"):
    """Coefficient per factor with its interval; one marker series per slice (overall first)."""
    import plotly.graph_objects as go

    bounds = {"coefficient": ("low", "high"), "alone": ("alone_low", "alone_high"),
              "controlled": ("controlled_low", "controlled_high")}[field]
    figure = go.Figure()
    parts = [("all pairs", full["overall"])] + list(full["slices"].items())
    for name, part in parts:
        rows = [e for e in part["effects"] if e.get(field) is not None]
        if not rows:
            continue
        values = [e[field] for e in rows]
        plus = [(e[bounds[1]] - e[field]) if e[bounds[1]] is not None else 0 for e in rows]
        minus = [(e[field] - e[bounds[0]]) if e[bounds[0]] is not None else 0 for e in rows]
        figure.add_scatter(x=values, y=[e["factor"] for e in rows], mode="markers", name=str(name),
                           error_x=dict(type="data", array=plus, arrayminus=minus, symmetric=False),
                           hovertemplate="%{y}: %{x:+.3f}<extra>" + str(name) + "</extra>")
    figure.add_vline(x=0, line_dash="dot", line_color="gray")
    height = 28 * max(1, len(full["overall"]["effects"])) + 120
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(autorange="reversed"),
                         xaxis_title="log-odds per standard deviation of the difference (95% interval)",
                         legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return figure


def win_rate_figure(table: pd.DataFrame, unit: str):
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(
        x=table["bin"], y=table["longer_wins_share"], mode="lines+markers", customdata=table[["pairs", "longer_won"]],
        error_y=dict(type="data", array=table["high"] - table["longer_wins_share"],
                     arrayminus=table["longer_wins_share"] - table["low"]),
        hovertemplate="|difference| %{x} " + unit + ": longer won %{customdata[1]:,} of %{customdata[0]:,} "
                      "(%{y:.1%})<extra></extra>"))
    figure.add_hline(y=0.5, line_dash="dot", line_color="gray")
    figure.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(range=[0, 1], tickformat=".0%",
                         title="longer response won"), xaxis_title=f"absolute length difference ({unit})")
    return figure


def effects_frame(part: dict) -> pd.DataFrame:
    frame = pd.DataFrame(part["effects"])
    return frame[["factor", "definition", "coefficient", "low", "high", "alone", "controlled", "controlled_low",
                  "controlled_high", "win_rate", "win_pairs"]]


def effects_table(part: dict, key: str) -> None:
    st.dataframe(effects_frame(part), hide_index=True, width="stretch", key=key, column_config={
        name: (st.column_config.NumberColumn(name, help=text, format="%.3f")
               if name not in ("factor", "definition", "win_pairs", "win_rate") else
               st.column_config.NumberColumn(name, help=text, format="percent") if name == "win_rate" else
               st.column_config.Column(name, help=text))
        for name, text in EFFECT_HELP.items()})


# ---------------------------------------------------------------- one-click filters

QUICK_FILTERS = {
    "only_length": ("Chosen wins only on length", [Filter("bias.wins_only_on_length", "=", True)],
                    "Pairs whose chosen response is longer (tokens) while the factor model without length, fitted on "
                    "the other folds, predicts the rejected one (bias.style_score < 0)."),
    "shorter_won": ("Chosen is shorter", [Filter("bias.delta_tokens", "<", 0)],
                    "Pairs whose chosen response has fewer tokens than the rejected one."),
    "much_longer": ("Chosen much longer (top 10% of the length difference)", [Filter("bias.delta_tokens", "top %", 10)],
                    "The 10% of pairs with the largest chosen-minus-rejected token difference."),
}


def add_filters(new: list[Filter]) -> None:
    """Append structured filters to the Explore filter state (the same state Export reads)."""
    filters.add_filters(new)
    state.flash("Added the filter " + "; ".join(f"`{f.describe()}`" for f in new) + " to Explore and Export.")


def quick_filter_buttons() -> None:
    row = st.columns(len(QUICK_FILTERS))
    for column, (key, (label, new, help_text)) in zip(row, QUICK_FILTERS.items()):
        column.button(label, key=f"wb.bias.filter.{key}", help=help_text + " Adds the filter to Explore and Export.",
                      on_click=add_filters, args=(new,), width="stretch")
    st.page_link("pages/explore.py", label="Open Explore with the filters", icon=":material/filter_alt:")


# ---------------------------------------------------------------- length-balanced tagging

def balanced_ids(store: "WorkspaceStore", info: "RunInfo", seed: int, clip_outside: bool) -> tuple[list[str], pd.DataFrame]:
    frame = bias_frame(store, info, ALL_PAIRS)
    decided = frame[bias_model.decided_mask(frame["label"])]
    return bias_model.length_balanced_ids(decided["pair_id"], decided["delta_tokens"], seed=seed,
                                          clip_outside=clip_outside)


def tag_balanced(store: "WorkspaceStore", kept: list[str]) -> None:
    """Tag the kept pairs keep / note 'length-balanced' (replacing an earlier balancing's tags)."""
    earlier = [row[0] for row in store.sql_rows("SELECT pair_id FROM tags WHERE note = ?", [BALANCED_NOTE])]
    if earlier:
        store.set_tag(earlier, None)
    store.set_tag(kept, "keep", BALANCED_NOTE)
    state.mark_changed()
    state.flash(f"Tagged {len(kept):,} pairs keep with the note '{BALANCED_NOTE}'.")


def balance_section(store: "WorkspaceStore", info: "RunInfo") -> None:
    row = st.columns([1, 1, 2], vertical_alignment="bottom")
    seed = int(row[0].number_input("Seed", value=0, step=1, key="wb.bias.balance_seed",
                                   help="Seed of the subsampling; the same seed keeps the same pairs."))
    clip = row[1].checkbox("Keep differences beyond ±200", value=False, key="wb.bias.balance_clip",
                           help="Put pairs whose token difference is beyond ±200 in the outermost bins instead of "
                                "leaving them out.")
    kept, table = balanced_ids(store, info, seed, clip)
    st.dataframe(table, hide_index=True, width="stretch", key="wb.bias.balance_table", column_config={
        "bin": st.column_config.Column("bin", help="Token difference (chosen minus rejected) of the bin and of its "
                                                    "mirror, e.g. ±1–10 is 1..10 and -10..-1; 0 is equal lengths."),
        "chosen_longer_pairs": st.column_config.NumberColumn("chosen longer", help="Decided pairs in the positive bin."),
        "chosen_shorter_pairs": st.column_config.NumberColumn("chosen shorter", help="Decided pairs in the mirror bin."),
        "kept_each": st.column_config.NumberColumn("kept each side", help="The smaller of the two counts: how many "
                                                                          "pairs each side keeps."),
        "kept": st.column_config.NumberColumn("kept", help="Pairs kept from the bin and its mirror together."),
    })
    st.caption(f"Keeps {len(kept):,} decided pairs; {table.attrs.get('outside', 0):,} pairs beyond ±200 tokens are "
               "left out, and ties are never included. Tagging sets tag = keep with the note "
               f"'{BALANCED_NOTE}' on them (replacing other tags they had); Export then writes them with the filter "
               f"tag_note = {BALANCED_NOTE}.")
    if st.button("Tag the length-balanced pairs", key="wb.bias.tag_balanced", type="primary", icon=":material/label:"):
        with state.user_errors():
            tag_balanced(store, kept)
            add_filters([Filter("tag_note", "=", BALANCED_NOTE)])
            st.rerun()


def settings_text(info: "RunInfo") -> str:
    return ", ".join(f"`{k}={json.dumps(v)}`" for k, v in info.settings.items())
