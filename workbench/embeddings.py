"""Text embeddings with a cache in the workspace, keyed by encoder and text hash.

``embed_texts`` is what analyzers call: cached texts are read back, the rest are encoded in batches
(on GPU when present) with progress and cancellation, then stored for the next run.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from analyzers.base import RunContext
from workbench.keyed_cache import KeyedCache, text_key
from workbench.models import DEFAULT_MODEL, encoder_label, load_text_encoder

ENCODE_BATCH = 64


def embedding_cache(cache_dir: str | Path | None, encoder: str) -> KeyedCache | None:
    if cache_dir is None:
        return None
    return KeyedCache(Path(cache_dir) / "embeddings" / text_key(encoder_label(encoder))[:16])


def embed_texts(texts: list[str], encoder: str = DEFAULT_MODEL, *, device: str = "auto",
                cache_dir: str | Path | None = None, context: RunContext | None = None,
                normalize: bool = False, batch_size: int = ENCODE_BATCH) -> np.ndarray:
    """Float32 embeddings, one row per text (duplicates encoded once), reusing the workspace cache."""
    context = context or RunContext()
    label = encoder_label(encoder)
    keys = [text_key(label, text or "") for text in texts]
    cache = embedding_cache(cache_dir, encoder)
    known = cache.get_vectors(list(set(keys))) if cache else {}
    todo_keys, todo_texts, seen = [], [], set(known)
    for key, text in zip(keys, texts):
        if key not in seen:
            seen.add(key)
            todo_keys.append(key)
            todo_texts.append(text or "")
    if todo_texts:
        model = load_text_encoder(encoder, device=device)
        for start in range(0, len(todo_texts), batch_size * 16):
            context.check_cancelled()
            chunk_texts = todo_texts[start:start + batch_size * 16]
            vectors = model.encode(chunk_texts, batch_size=batch_size, convert_to_numpy=True,
                                   show_progress_bar=False).astype(np.float32)
            chunk_keys = todo_keys[start:start + batch_size * 16]
            known.update(zip(chunk_keys, vectors))
            if cache:
                cache.put_vectors(chunk_keys, vectors)
            context.progress(min(start + len(chunk_texts), len(todo_texts)), len(todo_texts),
                             f"embedding texts with {label}")
    if not keys:
        dim = load_text_encoder(encoder, device=device).get_sentence_embedding_dimension()
        return np.zeros((0, dim), dtype=np.float32)
    matrix = np.stack([known[key] for key in keys]).astype(np.float32)
    if normalize:
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return matrix
