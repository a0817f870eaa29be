"""Dataset statistics for the Overview page and `workbench summary`: counts by source and split,
ties, duplicates, lengths of chosen vs rejected, and every analyzer run's summary."""
from __future__ import annotations

from workbench.workspace import WorkspaceStore


def workspace_summary(store: WorkspaceStore) -> dict:
    n_pairs = store.n_pairs()
    by_source = store.sql_rows("SELECT coalesce(source, '(none)'), count(*) FROM pairs GROUP BY 1 ORDER BY 2 DESC, 1")
    by_split = store.sql_rows("SELECT coalesce(split, '(none)'), count(*) FROM pairs GROUP BY 1 ORDER BY 2 DESC, 1")
    stats = store.sql_rows(
        """SELECT count(*) FILTER (WHERE label = 'tie'),
                  count(*) FILTER (WHERE chosen = rejected),
                  count(*) - count(DISTINCT md5(prompt || '\x1f' || chosen || '\x1f' || rejected)),
                  avg(length(chosen)), avg(length(rejected)),
                  count(*) FILTER (WHERE label <> 'tie' AND length(chosen) <> length(rejected)),
                  count(*) FILTER (WHERE label <> 'tie' AND length(chosen) > length(rejected)),
                  count(*) FILTER (WHERE chosen_position IS NOT NULL),
                  count(*) FILTER (WHERE chosen_position = 'a')
           FROM pairs""")[0]
    ties, identical, duplicates, mean_chosen, mean_rejected, decided, longer_won, positioned, position_a = stats
    datasets = store.datasets()
    runs = store.active_runs()
    return {
        "pairs": n_pairs,
        "datasets": [
            {"name": r["name"], "path": r["path"], "format": r["format"], "pairs": int(r["n_pairs"]),
             "rejected_rows": int(r["n_rejected"]), "loaded_at": str(r["loaded_at"])}
            for r in datasets.to_dict("records")
        ],
        "by_source": {name: count for name, count in by_source},
        "by_split": {name: count for name, count in by_split},
        "ties": int(ties),
        "identical_responses": int(identical),
        "duplicate_pairs": int(duplicates),
        "mean_chosen_chars": float(mean_chosen) if mean_chosen is not None else None,
        "mean_rejected_chars": float(mean_rejected) if mean_rejected is not None else None,
        "longer_wins_share_chars": (longer_won / decided) if decided else None,
        "position_a_share": (position_a / positioned) if positioned else None,
        "fingerprint": store.fingerprint(),
        "analyzers": {
            name: {"run_id": info.run_id, "version": info.version, "settings": info.settings, "model": info.model,
                   "finished_at": str(info.finished_at), "stale": info.dataset_fingerprint != store.fingerprint(),
                   "summary": info.summary}
            for name, info in runs.items()
        },
    }
