"""Text embeddings with a cache in the workspace, keyed by encoder and text hash.

``embed_texts`` is what analyzers call: cached texts are read back, the rest are encoded in batches
(on GPU when present) with progress and cancellation, then stored for the next run.

Encoder specs: "default" (the embedded all-MiniLM-L6-v2), a sentence-transformers folder or hub id, or
"lm:<model spec>" for a causal LM from the model runtime ("lm:default" = the embedded SmolLM2, "lm:/path",
"lm:hub/id"): the mean over non-pad tokens of its final hidden state, in float32.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from analyzers.base import RunContext
from workbench.errors import AnalyzerError
from workbench.keyed_cache import KeyedCache, text_key
from workbench.models import DEFAULT_MODEL, encoder_label, load_causal_lm, load_text_encoder, model_label

ENCODE_BATCH = 64
CAUSAL_LM_PREFIX = "lm:"
CAUSAL_LM_MAX_TOKENS = 512  # longer texts are truncated to their first 512 tokens


def is_causal_lm_encoder(encoder: str) -> bool:
    return (encoder or "").strip().startswith(CAUSAL_LM_PREFIX)


def embedding_label(encoder: str) -> str:
    """The encoder's name in cache keys and provenance ("lm:SmolLM2-135M-Instruct" for "lm:default")."""
    if is_causal_lm_encoder(encoder):
        return CAUSAL_LM_PREFIX + model_label(encoder.strip()[len(CAUSAL_LM_PREFIX):].strip() or DEFAULT_MODEL)
    return encoder_label(encoder)


class CausalLMEncoder:
    """Mean-pooled final hidden states of a causal LM (pad positions excluded), float32 on any device."""

    def __init__(self, spec: str, device: str = "auto"):
        self.loaded = load_causal_lm(spec or DEFAULT_MODEL, device=device)
        tokenizer = self.loaded.tokenizer
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        if tokenizer.pad_token_id is None:
            raise AnalyzerError(f"Encoder 'lm:{spec}' has a tokenizer without a pad, end or unknown token; "
                                "it cannot batch texts.")

    def get_sentence_embedding_dimension(self) -> int:
        return self.loaded.hidden_size

    def encode(self, texts: list[str], batch_size: int = ENCODE_BATCH, **_: object) -> np.ndarray:
        import torch

        tokenizer, model = self.loaded.tokenizer, self.loaded.model
        body = getattr(model, "base_model", model)  # the transformer without the LM head: final normed states
        out = np.zeros((len(texts), self.loaded.hidden_size), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths share a batch
        with torch.no_grad():
            for start in range(0, len(order), batch_size):
                rows = order[start:start + batch_size]
                encoded = tokenizer([texts[i] for i in rows], return_tensors="pt", padding=True, truncation=True,
                                    max_length=CAUSAL_LM_MAX_TOKENS, add_special_tokens=False)
                mask = encoded["attention_mask"].to(self.loaded.device)
                ids = encoded["input_ids"].to(self.loaded.device)
                if ids.shape[1] == 0:  # every text in the batch is empty: no tokens, a zero vector
                    continue
                hidden = body(input_ids=ids, attention_mask=mask).last_hidden_state.float()
                weights = mask.unsqueeze(-1).float()
                pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)
                out[rows] = pooled.cpu().numpy()
        return out


def load_encoder(encoder: str, device: str = "auto"):
    """An object with ``encode(texts, batch_size=...)`` and ``get_sentence_embedding_dimension()``."""
    if is_causal_lm_encoder(encoder):
        return CausalLMEncoder(encoder.strip()[len(CAUSAL_LM_PREFIX):].strip() or DEFAULT_MODEL, device)
    return load_text_encoder(encoder, device=device)


def embedding_cache(cache_dir: str | Path | None, encoder: str) -> KeyedCache | None:
    if cache_dir is None:
        return None
    return KeyedCache(Path(cache_dir) / "embeddings" / text_key(embedding_label(encoder))[:16])


def embed_texts(texts: list[str], encoder: str = DEFAULT_MODEL, *, device: str = "auto",
                cache_dir: str | Path | None = None, context: RunContext | None = None,
                normalize: bool = False, batch_size: int = ENCODE_BATCH) -> np.ndarray:
    """Float32 embeddings, one row per text (duplicates encoded once), reusing the workspace cache."""
    context = context or RunContext()
    label = embedding_label(encoder)
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
        model = load_encoder(encoder, device)
        for start in range(0, len(todo_texts), batch_size * 16):
            context.check_cancelled()
            chunk_texts = todo_texts[start:start + batch_size * 16]
            vectors = np.asarray(model.encode(chunk_texts, batch_size=batch_size, convert_to_numpy=True,
                                              show_progress_bar=False), dtype=np.float32)
            chunk_keys = todo_keys[start:start + batch_size * 16]
            known.update(zip(chunk_keys, vectors))
            if cache:
                cache.put_vectors(chunk_keys, vectors)
            context.progress(min(start + len(chunk_texts), len(todo_texts)), len(todo_texts),
                             f"embedding texts with {label}")
    if not keys:
        dim = load_encoder(encoder, device).get_sentence_embedding_dimension()
        return np.zeros((0, dim), dtype=np.float32)
    matrix = np.stack([known[key] for key in keys]).astype(np.float32)
    if normalize:
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return matrix
