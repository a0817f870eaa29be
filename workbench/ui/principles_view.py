"""Widgets of the Principles page: run an LLM analyzer after showing its call and token estimate, the
constitution (stacked vote bars, metrics, downloads, mislabel filters) and the trait strengths."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from analyzers.annotator_metrics import METRIC_DEFINITIONS
from workbench.errors import WorkbenchError
from workbench.filters import Filter
from workbench.ui import analyzer_panel, filters, state

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

PENDING_KEY = "wb.principles.pending"
VOTE_COLORS = {"agree": "#2e7d32", "disagree": "#c62828", "abstain": "#9e9e9e", "invalid": "#f9a825"}
NUMBER_COLUMNS = ("agree", "disagree", "abstain", "invalid", "total", "relevance", "accuracy", "kappa_adj", "strength",
                  "strength_low", "strength_high")


def _column_config(names) -> dict:
    return {name: st.column_config.NumberColumn(name, help=METRIC_DEFINITIONS[name], format="%.3f"
                                                if name not in ("agree", "disagree", "abstain", "invalid", "total") else None)
            for name in names if name in METRIC_DEFINITIONS}


# ---------------------------------------------------------------- running with an estimate first

def run_panel(store: "WorkspaceStore", analyzer_name: str) -> None:
    """Settings form; Run shows the estimate (calls, tokens) and starts only after a second click."""
    from analyzers import get_analyzer

    analyzer = get_analyzer(analyzer_name)
    running = analyzer_panel.has_active_job()
    values = analyzer_panel.settings_form(analyzer, running=running)
    if values is not None:
        with state.user_errors():
            settings = analyzer.settings_from_dict(values)
            pairs = store.sql_df("SELECT pair_id, prompt, chosen, rejected, label FROM pairs")
            st.session_state[PENDING_KEY] = {"analyzer": analyzer_name, "values": values,
                                             "estimate": analyzer.estimate(pairs, settings)}
    pending = st.session_state.get(PENDING_KEY)
    if not pending or pending["analyzer"] != analyzer_name:
        return
    estimate = pending["estimate"]
    with st.container(border=True):
        st.markdown("**Before running: the LLM work this asks for**")
        row = st.columns(3)
        row[0].metric("LLM calls (at most)", f"{estimate['calls']:,}",
                      help="Upper bound on chat calls: " + ", ".join(f"{k} {v:,}" for k, v in estimate["calls_by_step"].items())
                           + ". Answers already in the workspace cache are not asked again.")
        row[1].metric("Prompt tokens (approx.)", f"{estimate['prompt_tokens']:,}",
                      help="Estimated input tokens over all calls (characters / 4).")
        row[2].metric("Output tokens (at most)", f"{estimate['max_output_tokens']:,}",
                      help="The max_tokens budget of all calls together; real answers are usually shorter.")
        st.caption(f"On {estimate['sampled_pairs']:,} sampled decided pairs (max_pairs, seeded). The embedded 135M model "
                   "runs on this machine and gives many unreadable answers; point 'backend' at a capable model for real use.")
        with st.container(horizontal=True):
            if st.button("Start the run", key=f"wb.principles.start.{analyzer_name}", type="primary", disabled=running,
                         icon=":material/play_arrow:"):
                st.session_state.pop(PENDING_KEY, None)
                with state.user_errors():
                    analyzer_panel.start_run(store, analyzer_name, pending["values"])
                    st.rerun()
            if st.button("Discard", key=f"wb.principles.discard.{analyzer_name}"):
                st.session_state.pop(PENDING_KEY, None)
                st.rerun()


def _filter_and_explore(store: "WorkspaceStore", column: str, value: str) -> None:
    """Add ``column = value`` to the shared filters (checked by a count first) and open Explore."""
    from workbench import query

    new = filters.with_filters(filters.current_spec(), [Filter(column, "=", value)])
    try:
        query.count(store, new)
    except WorkbenchError as error:
        st.error(str(error), icon=":material/error:")
        return
    filters.set_spec(new)
    st.switch_page("pages/explore.py")


# ---------------------------------------------------------------- the constitution

def vote_bars(items: list[dict], label_key: str):
    """Plotly horizontal stacked bars: for / against / abstain / invalid per principle."""
    import plotly.graph_objects as go

    labels = [f"{i + 1}. {item[label_key]}" if label_key == "principle" else item[label_key] for i, item in enumerate(items)]
    figure = go.Figure()
    for vote, color in VOTE_COLORS.items():
        figure.add_bar(y=labels, x=[item[vote] for item in items], name=vote, orientation="h", marker_color=color,
                       hovertemplate="%{y}<br>" + vote + ": %{x} pairs<extra></extra>")
    figure.update_layout(barmode="stack", height=80 + 40 * len(items), margin=dict(l=10, r=10, t=10, b=10),
                         yaxis=dict(autorange="reversed"), xaxis_title="pairs", legend_orientation="h")
    return figure


def constitution_section(store: "WorkspaceStore") -> None:
    from analyzers.principles import constitution_json, constitution_markdown

    run = store.active_runs().get("principles")
    if run is None:
        st.info("No constitution yet: run the principles analyzer above.", icon=":material/info:")
        return
    summary = run.summary
    st.subheader(f"Constitution of run {run.run_id}")
    row = st.columns(4)
    rec = summary.get("reconstruction") or {}

    def share(value):
        return "n/a" if value is None else f"{value:.1%}"
    row[0].metric("Reconstruction with constitution", share(summary.get("reconstruction_agreement")),
                  help=PRINCIPLES_HELP["reconstruction_agreement"] +
                       f" Held-out pairs: {rec.get('constitution', {}).get('pairs', 0)}.")
    row[1].metric("Without constitution", share(summary.get("baseline_agreement")), help=PRINCIPLES_HELP["baseline_agreement"])
    row[2].metric("Unreadable LLM answers", share(summary.get("invalid_answer_rate")), help=PRINCIPLES_HELP["invalid_answer_rate"]
                  + f" ({summary.get('llm_invalid_answers', 0):,} of {summary.get('llm_answers', 0):,}).")
    row[3].metric("Generation answers without a principle", f"{summary.get('generation_invalid', 0):,} of "
                  f"{summary.get('generation_asked', 0):,}", help=PRINCIPLES_HELP["generation_invalid"])
    items = summary.get("constitution") or []
    if not items:
        st.warning("No candidate principle passed the filter (for > against, relevance >= min_relevance, invalid a "
                   "minority). See the candidates below; a more capable model usually helps.")
    else:
        st.plotly_chart(vote_bars(items, "principle"), key="wb.principles.bars")
        st.caption("Votes per principle over the pairs it was tested on: for = it selects the chosen response, against = "
                   "it selects the rejected one, abstain = neither / both / repetitions disagreed, invalid = unreadable.")
        table = pd.DataFrame([{k: item[k] for k in ("slot", "principle", *NUMBER_COLUMNS) if k in item} for item in items])
        table["heldout strength"] = [item["heldout"]["strength"] for item in items]
        config = _column_config(table.columns)
        config["heldout strength"] = st.column_config.NumberColumn(
            "heldout strength", format="%.3f", help="Strength on the held-out pairs only (not used to pick the principle).")
        st.dataframe(table, hide_index=True, width="stretch", column_config=config)
        picked = st.selectbox("Principle", [item["slot"] for item in items], key="wb.principles.pick",
                              format_func=lambda slot: f"{slot}. {items[slot - 1]['principle']}",
                              help="Pick a principle to list the pairs where it disagrees with the label.")
        if st.button("Show pairs where this principle disagrees with the label", key="wb.principles.mislabels",
                     icon=":material/filter_alt:", help="Adds the filter principles.principle_N_vote = disagree to the "
                     "shared filters and opens Explore: mislabel candidates."):
            _filter_and_explore(store, f"principles.principle_{picked}_vote", "disagree")
    with st.expander(f"All {len(summary.get('candidates') or [])} tested candidates"):
        candidates = pd.DataFrame(summary.get("candidates") or [])
        if len(candidates):
            columns = [c for c in ("principle", "agree", "disagree", "abstain", "invalid", "total", "relevance", "score",
                                   "passed", "selected", "reason") if c in candidates]
            config = _column_config(columns)
            config["score"] = st.column_config.NumberColumn("score", help="agree - disagree; the ranking key.")
            st.dataframe(candidates[columns], hide_index=True, width="stretch", column_config=config)
    with st.container(horizontal=True):
        st.download_button("Constitution (Markdown)", constitution_markdown(summary, run.settings),
                           file_name="constitution.md", mime="text/markdown", icon=":material/download:")
        st.download_button("Constitution (JSON)", constitution_json(summary, run.settings), file_name="constitution.json",
                           mime="application/json", icon=":material/download:")


# ---------------------------------------------------------------- traits

def traits_section(store: "WorkspaceStore") -> None:
    import plotly.express as px

    run = store.active_runs().get("traits")
    if run is None:
        st.info("No trait annotation yet: run the traits analyzer above.", icon=":material/info:")
        return
    summary = run.summary
    st.subheader(f"Trait strengths of run {run.run_id}")
    rate = summary.get("invalid_answer_rate")
    st.caption(f"{summary.get('sampled_pairs', 0):,} pairs annotated; unreadable LLM answers: "
               f"{'n/a' if rate is None else f'{rate:.1%}'} ({summary.get('llm_invalid_answers', 0):,} of "
               f"{summary.get('llm_answers', 0):,}). Strongest first; strength > 0 means the chosen responses show "
               "more of the trait.")
    table = pd.DataFrame(summary.get("traits") or [])
    if table.empty:
        return
    table = table.rename(columns={"annotator": "trait"})
    st.dataframe(table[["trait", "principle", *[c for c in NUMBER_COLUMNS if c in table]]], hide_index=True,
                 width="stretch", column_config=_column_config(table.columns))
    by_slice = pd.DataFrame(summary.get("by_slice") or {}).T
    if not by_slice.empty:
        st.markdown(f"**Strength per {run.settings.get('slice_by')}**",
                    help="The same strength, computed within each slice of the pairs.")
        st.dataframe(by_slice, width="stretch",
                     column_config={c: st.column_config.NumberColumn(c, format="%.3f", help=METRIC_DEFINITIONS["strength"])
                                    for c in by_slice.columns})
    share = pd.DataFrame((summary.get("agreement") or {}).get("share") or {}).T.astype(float)
    if not share.empty:
        figure = px.imshow(share, zmin=0, zmax=1, color_continuous_scale="RdBu", aspect="auto")
        figure.update_layout(height=200 + 18 * len(share), margin=dict(l=10, r=10, t=10, b=10))
        st.plotly_chart(figure, key="wb.traits.agreement")
        st.caption("Trait-by-trait agreement: among pairs where both traits pick a side, the share where they pick the "
                   "same side (empty where they never both pick).")
    trait = st.selectbox("Trait", table["trait"].tolist(), key="wb.traits.pick",
                         help="Pick a trait to list the pairs where the rejected response shows more of it.")
    if st.button("Show pairs where this trait goes against the label", key="wb.traits.filter", icon=":material/filter_alt:",
                 help="Adds the filter traits.trait_NAME = disagree to the shared filters and opens Explore."):
        _filter_and_explore(store, f"traits.trait_{trait}", "disagree")


def _principles_help() -> dict:
    from analyzers.principles import PrinciplesAnalyzer

    return PrinciplesAnalyzer.summary_descriptions


PRINCIPLES_HELP = _principles_help()

