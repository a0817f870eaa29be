"""Forward passes of a causal LM over (prompt, response) sequences, batched by token budget.

For every sequence this returns, from ONE forward pass that keeps only the final hidden state:
- the response's log-probability under the model (sum over predicted tokens, float64 accumulation);
- the sum of the final hidden states at the positions that predict the response tokens (CHES's s);
- the final hidden state at the last position (the last-token state);
- how many tokens were predicted, and whether anything was truncated or the prompt/response token
  boundary moved when tokenized together (both reported per pair, never silent).

Conventions (methods.md sections 1 and 2): with a chat template, the prompt is the template applied to the
user turn(s) with the generation prompt, and the response is appended raw; the response is followed by EOS
when the tokenizer has one, so the state that predicts EOS is included and EOS's own state is not.
Positions are computed from the attention mask, so left and right padding give the same numbers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from workbench.errors import AnalyzerError
from workbench.keyed_cache import KeyedCache, text_key


@dataclass(frozen=True)
class ScoringOptions:
    max_length: int = 1024          # prompt + response tokens per sequence; longer ones are truncated and flagged
    use_chat_template: bool = True  # apply the tokenizer's chat template to the prompt when it has one
    token_budget: int = 8192        # padded tokens per forward micro-batch
    padding_side: str = "right"     # "left" or "right"; results are the same either way
    share_prompt: bool = True       # run each distinct prompt once and its responses on its cached keys/values

    def validate(self) -> None:
        if self.max_length < 2:
            raise AnalyzerError("Setting 'max_length' must be at least 2 tokens.")
        if self.token_budget < self.max_length:
            raise AnalyzerError(f"Setting 'token_budget' ({self.token_budget}) must be at least 'max_length' "
                                f"({self.max_length}) so the longest sequence fits in a batch.")
        if self.padding_side not in ("left", "right"):
            raise AnalyzerError("Setting 'padding_side' must be 'left' or 'right'.")


@dataclass
class EncodedSequence:
    input_ids: list[int]
    response_start: int      # index in input_ids of the first response token
    truncated: bool
    boundary_mismatch: bool

    @property
    def n_predicted(self) -> int:
        return len(self.input_ids) - self.response_start


@dataclass
class SequenceScores:
    """Per-sequence results, row i for sequence i."""

    logprob_sum: np.ndarray          # float64
    n_tokens: np.ndarray             # int64, predicted tokens (response + EOS)
    truncated: np.ndarray            # bool
    boundary_mismatch: np.ndarray    # bool
    hidden_sum: np.ndarray | None = None   # float32 (n, d)
    last_hidden: np.ndarray | None = None  # float32 (n, d)

    @property
    def logprob_mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n_tokens > 0, self.logprob_sum / np.maximum(self.n_tokens, 1), np.nan)


# ---------------------------------------------------------------- tokenizing

def prompt_text(tokenizer, prompt: str, prompt_messages: Any, use_chat_template: bool) -> tuple[str, bool]:
    """The prompt as the model sees it, and whether the tokenizer should add its special tokens (BOS)."""
    if use_chat_template and getattr(tokenizer, "chat_template", None):
        messages = prompt_messages_list(prompt, prompt_messages)
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return text, False
    return prompt or "", True


def prompt_messages_list(prompt: str, prompt_messages: Any) -> list[dict]:
    if isinstance(prompt_messages, str) and prompt_messages.strip():
        try:
            prompt_messages = json.loads(prompt_messages)
        except ValueError:
            prompt_messages = None
    if isinstance(prompt_messages, list) and prompt_messages and all(isinstance(m, dict) for m in prompt_messages):
        return [{"role": str(m.get("role", "user")), "content": str(m.get("content", ""))} for m in prompt_messages]
    return [{"role": "user", "content": prompt or ""}]


def encode_sequences(tokenizer, prompts: Sequence[str], responses: Sequence[str], add_special: Sequence[bool],
                     max_length: int) -> list[EncodedSequence]:
    """Token ids of prompt + response (+ EOS), the response boundary, and truncation flags."""
    eos = tokenizer.eos_token_id
    start_token = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else eos
    out = []
    for prompt, response, special in zip(prompts, responses, add_special):
        prompt_ids = tokenizer(prompt, add_special_tokens=special)["input_ids"]
        full_ids = tokenizer(prompt + response, add_special_tokens=special)["input_ids"]
        mismatch = full_ids[:len(prompt_ids)] != prompt_ids
        if mismatch:  # merging across the boundary changed the prompt's tokens: tokenize the sides apart
            response_ids = tokenizer(response, add_special_tokens=False)["input_ids"]
        else:
            response_ids = full_ids[len(prompt_ids):]
        if eos is not None:
            response_ids = response_ids + [eos]
        if not prompt_ids:
            if start_token is None:
                raise AnalyzerError("The tokenizer has neither a BOS nor an EOS token to start an empty prompt with.")
            prompt_ids = [start_token]  # something must predict the first response token
        truncated = False
        if len(prompt_ids) + len(response_ids) > max_length:
            truncated = True
            keep_prompt = min(len(prompt_ids), max(1, max_length - len(response_ids), max_length // 2))
            prompt_ids = prompt_ids[len(prompt_ids) - keep_prompt:]
            response_ids = response_ids[:max_length - keep_prompt]
        out.append(EncodedSequence(prompt_ids + response_ids, len(prompt_ids), truncated, mismatch))
    return out


def encode_pairs(tokenizer, pairs, options: ScoringOptions, side: str) -> list[EncodedSequence]:
    """Sequences for one side ("chosen" or "rejected") of a batch of pairs (a DataFrame)."""
    prompts, specials = [], []
    messages = pairs["prompt_messages"] if "prompt_messages" in pairs else [None] * len(pairs)
    for prompt, prompt_messages in zip(pairs["prompt"], messages):
        text, special = prompt_text(tokenizer, prompt, prompt_messages, options.use_chat_template)
        prompts.append(text)
        specials.append(special)
    return encode_sequences(tokenizer, prompts, [r or "" for r in pairs[side]], specials, options.max_length)


# ---------------------------------------------------------------- batching

MAX_PADDING_SHARE = 0.05    # a micro-batch closes when padding would exceed this share of its tokens...
MIN_BATCH_SHARE = 1 / 32    # ...once its real tokens fill this share of the token budget (tiny batches waste more)
CHUNK_BUDGETS = 4           # a shared-prompt chunk holds about this many token budgets of real tokens
NORMALIZE_ROWS = 128        # rows of logits normalized at a time


def token_budget_batches(sizes: Sequence[tuple[int, list[int]]], token_budget: int) -> list[list[int]]:
    """Units (a prompt of P tokens with responses of R_i tokens; P = 0 for whole sequences) in micro-batches.

    Units are taken longest first; a batch closes when its padded size, (units x longest P) + (responses x
    longest R), would pass ``token_budget``, or when padding would pass MAX_PADDING_SHARE of its tokens once
    its real ones fill MIN_BATCH_SHARE of the budget, so similar lengths run together."""
    order = sorted(range(len(sizes)), key=lambda i: (-(sizes[i][0] + max(sizes[i][1], default=0)), i))
    batches: list[list[int]] = []
    current: list[int] = []
    longest_prompt = longest_response = responses = real = 0
    for index in order:
        prompt, lengths = sizes[index]
        unit_real = prompt + sum(lengths)
        padded = ((len(current) + 1) * max(longest_prompt, prompt)
                  + (responses + len(lengths)) * max(longest_response, max(lengths, default=0)))
        too_padded = real >= MIN_BATCH_SHARE * token_budget and padded > (real + unit_real) / (1 - MAX_PADDING_SHARE)
        if current and (padded > token_budget or too_padded):
            batches.append(current)
            current, longest_prompt, longest_response, responses, real = [], 0, 0, 0, 0
        current.append(index)
        longest_prompt = max(longest_prompt, prompt)
        longest_response = max(longest_response, max(lengths, default=0))
        responses += len(lengths)
        real += unit_real
    if current:
        batches.append(current)
    return batches


def common_prefix_length(prompts: list[list[int]]) -> int:
    """Tokens all ``prompts`` start with, leaving each at least one token of its own (its last state is needed)."""
    limit = min(len(prompt) for prompt in prompts) - 1
    length = 0
    first = prompts[0]
    while length < limit and all(prompt[length] == first[length] for prompt in prompts):
        length += 1
    return length


def length_sorted_batches(lengths: Sequence[int], token_budget: int, context: Sequence[int] | None = None,
                          context_factor: int = 2) -> list[list[int]]:
    """Items longest first, cut into consecutive micro-batches of at most ``token_budget`` padded tokens.

    A batch also closes when padding would pass MAX_PADDING_SHARE of its tokens once its real ones fill
    MIN_BATCH_SHARE of the budget. With ``context`` (tokens each item attends to without computing them: its
    prompt's cached keys), a batch holds at most ``context_factor x token_budget`` cached-plus-new tokens.
    Every batch holds at least one item."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    widest = deepest = real = 0
    for index in order:
        extra = context[index] if context else 0
        width, depth, count = max(widest, lengths[index]), max(deepest, extra), len(current) + 1
        too_padded = (real >= MIN_BATCH_SHARE * token_budget
                      and count * width > (real + lengths[index]) / (1 - MAX_PADDING_SHARE))
        if current and (count * width > token_budget or count * (width + depth) > context_factor * token_budget
                        or too_padded):
            batches.append(current)
            current, width, depth, real = [], lengths[index], extra, 0
        current.append(index)
        widest, deepest, real = width, depth, real + lengths[index]
    if current:
        batches.append(current)
    return batches


PromptGroup = tuple[list[int], list[tuple[int, list[int]]]]  # prompt ids, [(sequence index, response ids), ...]


def prompt_length_chunks(units: list[PromptGroup], chunk_tokens: int) -> list[list[int]]:
    """Prompt groups, longest prompt first, in chunks of at most ``chunk_tokens`` real tokens whose kept
    keys/values (prompts x the chunk's longest prompt, padding included) also fit in ``chunk_tokens``.

    A chunk's prompts run first and their keys/values are kept; then all of its responses run, sorted by
    length. Neighbouring prompt lengths keep the kept caches tight; many responses per chunk keep the response
    batches nearly free of padding."""
    order = sorted(range(len(units)), key=lambda i: (-len(units[i][0]), i))
    chunks: list[list[int]] = []
    current: list[int] = []
    tokens = 0
    for index in order:
        prompt, responses = units[index]
        size = len(prompt) + sum(len(response) for _, response in responses)
        widest = len(units[current[0]][0]) if current else len(prompt)  # longest first: the chunk's first prompt
        if current and (tokens + size > chunk_tokens or (len(current) + 1) * widest > chunk_tokens):
            chunks.append(current)
            current, tokens = [], 0
        current.append(index)
        tokens += size
    if current:
        chunks.append(current)
    return chunks


def prompt_groups(sequences: list[EncodedSequence]) -> list[PromptGroup]:
    """Sequences grouped by identical prompt tokens: (prompt ids, [(sequence index, response ids), ...])."""
    groups: dict[tuple, list[tuple[int, list[int]]]] = {}
    for index, seq in enumerate(sequences):
        groups.setdefault(tuple(seq.input_ids[:seq.response_start]), []).append(
            (index, seq.input_ids[seq.response_start:]))
    return [(list(prompt), responses) for prompt, responses in groups.items()]


def _is_oom(error: BaseException) -> bool:
    import torch

    message = str(error).lower()
    return (isinstance(error, (torch.cuda.OutOfMemoryError, MemoryError)) or "out of memory" in message
            or "can't allocate memory" in message)


# ---------------------------------------------------------------- the forward pass

def score_sequences(loaded, sequences: list[EncodedSequence], options: ScoringOptions, *, want_vectors: bool,
                    context=None, progress_label: str | None = None) -> SequenceScores:
    """Run the model over ``sequences`` (identical ones once) and return per-sequence scores.

    ``context`` is checked for cancellation between micro-batches; progress is reported to it only with a
    ``progress_label`` (inside a job the runner reports progress per stored batch of pairs)."""
    n = len(sequences)
    unique: dict[tuple, int] = {}
    slot_of = []
    for seq in sequences:
        slot_of.append(unique.setdefault((tuple(seq.input_ids), seq.response_start), len(unique)))
    distinct = [None] * len(unique)
    for seq, slot in zip(sequences, slot_of):
        distinct[slot] = seq
    d = loaded.hidden_size
    logprob = np.zeros(len(distinct), dtype=np.float64)
    hidden_sum = np.zeros((len(distinct), d), dtype=np.float32) if want_vectors else None
    last_hidden = np.zeros((len(distinct), d), dtype=np.float32) if want_vectors else None
    outputs = (logprob, hidden_sum, last_hidden)
    check = context.check_cancelled if context is not None else None
    budget = options.token_budget  # halved on out-of-memory for the shared path's micro-batches
    shared = options.share_prompt and supports_shared_prompts(loaded.model)
    if shared:
        units = prompt_groups(distinct)
        pending = prompt_length_chunks(units, CHUNK_BUDGETS * options.token_budget)
        run = lambda chunk: _forward_shared(loaded, [units[i] for i in chunk], want_vectors, outputs, budget, check)
        describe = lambda unit: f"A prompt of {len(units[unit][0])} tokens with its responses"
        count = lambda chunk: sum(len(units[i][1]) for i in chunk)
    else:
        sizes = [(0, [len(s.input_ids)]) for s in distinct]
        pending = token_budget_batches(sizes, options.token_budget)
        run = lambda chosen: _forward(loaded, [distinct[i] for i in chosen], options, want_vectors, chosen, outputs)
        describe = lambda unit: f"One sequence of {len(distinct[unit].input_ids)} tokens"
        count = len
    done = 0
    while pending:
        if check is not None:
            check()
        batch = pending.pop(0)
        try:
            run(batch)
            out_of_memory = False
        except (RuntimeError, MemoryError) as error:
            if not _is_oom(error):
                raise
            out_of_memory = True
        if out_of_memory:
            _free_cuda_memory()  # here, not in the except block, whose traceback still holds the batch's tensors
            can_shrink = shared and budget > options.max_length
            if len(batch) == 1 and not can_shrink:
                raise AnalyzerError(f"{describe(batch[0])} does not fit in memory on {loaded.device}; lower "
                                    "'max_length' or 'token_budget', or use a smaller dtype.")
            # Out of memory: halve the batch (and the shared path's micro-batch budget) and go on.
            if shared:
                budget = max(options.max_length, budget // 2)
            half = len(batch) // 2
            pending[:0] = [batch[:half], batch[half:]] if half else [batch]
            continue
        done += count(batch)
        if context is not None and progress_label:
            context.progress(done, len(distinct), f"{progress_label}: {done:,} of {len(distinct):,} sequences")
    index = np.asarray(slot_of, dtype=np.int64)
    return SequenceScores(
        logprob_sum=logprob[index] if n else np.zeros(0),
        n_tokens=np.asarray([s.n_predicted for s in sequences], dtype=np.int64),
        truncated=np.asarray([s.truncated for s in sequences], dtype=bool),
        boundary_mismatch=np.asarray([s.boundary_mismatch for s in sequences], dtype=bool),
        hidden_sum=hidden_sum[index] if want_vectors else None,
        last_hidden=last_hidden[index] if want_vectors else None,
    )


def _pad_id(tokenizer) -> int:
    """The id padding uses (never attended to or read): the tokenizer's pad token, else EOS, else 0."""
    if tokenizer.pad_token_id is not None:
        return tokenizer.pad_token_id
    return tokenizer.eos_token_id or 0


def _free_cuda_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def final_hidden_states(model, input_ids, attention_mask, position_ids):
    """The decoder's last hidden state (after the final norm), without asking for every layer's states."""
    body = getattr(model, model.base_model_prefix, None) or model.base_model
    return body(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                use_cache=False).last_hidden_state


def padded_batch(token_lists: Sequence[Sequence[int]], pad_id: int, *, left: bool = False, width: int | None = None):
    """Token lists as one (rows, width) id tensor and its 0/1 attention mask, padded on the left or the right to
    ``width`` (default: the longest list)."""
    import torch

    width = max((len(tokens) for tokens in token_lists), default=0) if width is None else width
    ids = torch.full((len(token_lists), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(token_lists), width), dtype=torch.long)
    for row, tokens in enumerate(token_lists):
        if tokens:
            start = width - len(tokens) if left else 0
            ids[row, start:start + len(tokens)] = torch.tensor(list(tokens))
            mask[row, start:start + len(tokens)] = 1
    return ids, mask


def _forward(loaded, seqs: list[EncodedSequence], options: ScoringOptions, want_vectors: bool, slots: list[int],
             outputs: tuple) -> None:
    import torch

    model, device = loaded.model, loaded.device
    pad_id = _pad_id(loaded.tokenizer)
    left = options.padding_side == "left"
    ids, mask = padded_batch([s.input_ids for s in seqs], pad_id, left=left)
    width = ids.shape[1]
    offsets = [width - len(s.input_ids) if left else 0 for s in seqs]
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
    # Row/position of every state that predicts a response token, flattened over the batch.
    rows, states, targets = [], [], []
    for row, (seq, offset) in enumerate(zip(seqs, offsets)):
        first = offset + seq.response_start
        count = seq.n_predicted
        rows.append(torch.full((count,), row, dtype=torch.long))
        states.append(torch.arange(first - 1, first - 1 + count))
        targets.append(torch.tensor(seq.input_ids[seq.response_start:], dtype=torch.long))
    rows_t, states_t, targets_t = torch.cat(rows), torch.cat(states), torch.cat(targets)
    with torch.inference_mode():
        hidden = final_hidden_states(model, ids.to(device), mask.to(device), positions.to(device))
        picked = hidden[rows_t.to(device), states_t.to(device)]  # (T, d) in the model's dtype
        last = None
        if want_vectors:
            last_index = torch.tensor([offset + len(seq.input_ids) - 1 for seq, offset in zip(seqs, offsets)])
            last = hidden[torch.arange(len(seqs), device=device), last_index.to(device)]
        _store_scores(model, picked, targets_t.to(device), rows_t.to(device), slots, last, outputs)


def _forward_shared(loaded, units: list[PromptGroup], want_vectors: bool,
                    outputs: tuple, token_budget: int, check_cancelled=None) -> None:
    """One chunk of prompt groups: each prompt once, its keys/values kept, then every response on them.

    1. The tokens all prompts start with (a chat template's system block) run once.
    2. The prompts run in length-sorted micro-batches, left-padded, continuing from that prefix. Their keys and
       values go into one store per layer, right-aligned, with a mask of the real columns.
    3. All responses of the chunk run in length-sorted micro-batches, each row on its prompt's stored keys
       (cropped to the widest prompt in the batch). Padding there costs attention only, never the layers' matmuls.
    Positions continue from each prompt's true length, so padding never shifts them. The state that predicts a
    response's first token is the prompt's last state; the others come from step 3."""
    import torch

    model, device = loaded.model, loaded.device
    body = getattr(model, model.base_model_prefix, None) or model.base_model
    pad_id = _pad_id(loaded.tokenizer)
    prompts = [prompt for prompt, _ in units]
    shared = common_prefix_length(prompts)
    width = max(len(prompt) for prompt in prompts)
    with torch.inference_mode():
        prefix = []
        if shared:
            start = torch.tensor([prompts[0][:shared]], dtype=torch.long, device=device)
            prefix = _cache_tensors(body(input_ids=start, use_cache=True).past_key_values)
        keys, values = [], []  # per layer: (prompts, kv heads, width, head dim)
        store_mask = torch.zeros((len(prompts), width), dtype=torch.long)
        first_column = torch.zeros(len(prompts), dtype=torch.long)  # where each prompt's block starts in the store
        prompt_last = None
        for rows in length_sorted_batches([len(prompt) - shared for prompt in prompts], token_budget):
            if check_cancelled is not None:
                check_cancelled()
            ids, own_mask = padded_batch([prompts[row][shared:] for row in rows], pad_id, left=True)
            own = ids.shape[1]
            mask = torch.cat([torch.ones((len(rows), shared), dtype=torch.long), own_mask], dim=1)
            positions = (mask.cumsum(dim=1) - 1).clamp(min=0)[:, shared:]
            cache = _cache_of([(k.expand(len(rows), -1, -1, -1), v.expand(len(rows), -1, -1, -1)) for k, v in prefix],
                              model.config) if prefix else None
            out = body(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                       past_key_values=cache, use_cache=True)
            rows_t = torch.tensor(rows, dtype=torch.long)
            at = width - shared - own
            for layer, (k, v) in enumerate(_cache_tensors(out.past_key_values)):
                if layer == len(keys):
                    keys.append(k.new_zeros((len(prompts), k.shape[1], width, k.shape[3])))
                    values.append(v.new_zeros((len(prompts), v.shape[1], width, v.shape[3])))
                keys[layer][rows_t.to(device), :, at:] = k
                values[layer][rows_t.to(device), :, at:] = v
            store_mask[rows_t, at:] = mask
            first_column[rows_t] = at
            last = out.last_hidden_state[:, -1]  # left padding: every prompt ends at the last column
            if prompt_last is None:
                prompt_last = last.new_zeros((len(prompts), last.shape[-1]))
            prompt_last[rows_t.to(device)] = last
        prompt_length = torch.tensor([len(prompt) for prompt in prompts], dtype=torch.long)
        items = [(unit, slot, response) for unit, (_, responses) in enumerate(units) for slot, response in responses]
        stored = [width - int(first_column[unit]) for unit, _, _ in items]
        for batch in length_sorted_batches([len(response) for _, _, response in items], token_budget, stored):
            if check_cancelled is not None:
                check_cancelled()
            rows = [items[i] for i in batch]
            unit_of_row = torch.tensor([unit for unit, _, _ in rows], dtype=torch.long)
            on_device = unit_of_row.to(device)
            crop = int(first_column[unit_of_row].min())
            response_width = max(1, max(len(response) for _, _, response in rows))
            response_ids, response_mask = padded_batch([response for _, _, response in rows], pad_id,
                                                       width=response_width)
            cache = _cache_of([(k[on_device, :, crop:], v[on_device, :, crop:]) for k, v in zip(keys, values)],
                              model.config)
            attention = torch.cat([store_mask[unit_of_row, crop:], response_mask], dim=1)
            # Padding repeats the last real position, so no row reaches past its own length (learned position
            # tables, or RoPE scaled by the largest position in the batch, would see it otherwise).
            positions = prompt_length[unit_of_row][:, None] + (response_mask.cumsum(dim=1) - 1).clamp(min=0)
            hidden = body(input_ids=response_ids.to(device), attention_mask=attention.to(device),
                          position_ids=positions.to(device), past_key_values=cache, use_cache=True).last_hidden_state
            # Predicting states per row: the prompt's last state, then the response states but the last.
            states = torch.cat([prompt_last[on_device][:, None, :], hidden[:, :-1]], dim=1)
            lengths = response_mask.sum(dim=1)
            flat_rows = torch.repeat_interleave(torch.arange(len(rows)), lengths)
            flat_positions = torch.cat([torch.arange(int(n)) for n in lengths])
            picked = states[flat_rows.to(device), flat_positions.to(device)]
            targets = response_ids[flat_rows, flat_positions].to(device)
            last = None
            if want_vectors:
                # The state at the last token: the last response token, or the prompt's last one for an empty response.
                final = hidden[torch.arange(len(rows), device=device), (lengths - 1).clamp(min=0).to(device)]
                last = torch.where((lengths > 0)[:, None].to(device), final, prompt_last[on_device])
            _store_scores(model, picked, targets, flat_rows.to(device), [slot for _, slot, _ in rows], last, outputs)


def _cache_tensors(cache) -> list[tuple]:
    """(keys, values) per layer of a transformers DynamicCache."""
    return [(layer.keys, layer.values) for layer in cache.layers]


def _cache_of(tensors: list[tuple], config):
    """A DynamicCache holding the given (keys, values) per layer, with the layer types the model uses."""
    from transformers import DynamicCache

    return DynamicCache(ddp_cache_data=tensors, config=config)


def supports_shared_prompts(model) -> bool:
    """Whether prompts can be cached and reused: every layer's cache is a plain full-attention key/value cache
    (no sliding windows, linear-attention or state-space layers, whose state is more than keys and values)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    try:
        layers = DynamicCache(config=model.config).layers
    except Exception:  # noqa: BLE001 - a config the cache cannot read: use the plain path
        return False
    return bool(layers) and all(type(layer) is DynamicLayer for layer in layers)


def _store_scores(model, picked, targets, rows, slots: list[int], last, outputs: tuple) -> None:
    """Per-sequence log-prob sums (float64), hidden-state sums and last states (float32) into ``outputs``.

    ``picked`` holds the states that predict ``targets``, flattened over sequences; ``rows`` says whose each is;
    ``slots`` are the sequences' places in ``outputs``; ``last`` is None when no vectors are wanted."""
    import torch

    logprob, hidden_sum, last_hidden = outputs
    per_row = torch.zeros(len(slots), dtype=torch.float64, device=picked.device)
    per_row.index_add_(0, rows, _token_logprobs(model, picked, targets).double())
    logprob[slots] = per_row.cpu().numpy()
    if last is not None:
        sums = torch.zeros((len(slots), picked.shape[-1]), dtype=torch.float32, device=picked.device)
        sums.index_add_(0, rows, picked.float())
        hidden_sum[slots] = sums.cpu().numpy()
        last_hidden[slots] = last.float().cpu().numpy()


def _token_logprobs(model, states, targets):
    """log p(target | state) per row, through the LM head in chunks so the full logits never sit in memory.

    The normalization runs on a few rows at a time: a row of logits stays in cache while log-softmax reads it,
    which on a CPU is about a quarter faster than logsumexp over the whole chunk."""
    import torch

    head = model.get_output_embeddings()
    softcap = getattr(model.config, "final_logit_softcapping", None)
    vocab = head.weight.shape[0]
    chunk = max(64, int(2 ** 27 // max(vocab, 1)))  # about 512 MB of float32 logits per chunk
    out = []
    for start in range(0, states.shape[0], chunk):
        logits = head(states[start:start + chunk]).float()
        if softcap:
            logits = torch.tanh(logits / softcap) * softcap
        for row in range(0, logits.shape[0], NORMALIZE_ROWS):
            picked = targets[start + row:start + row + NORMALIZE_ROWS, None]
            out.append(torch.log_softmax(logits[row:row + NORMALIZE_ROWS], dim=-1).gather(1, picked).squeeze(1))
    return torch.cat(out) if out else torch.zeros(0, device=states.device)


# ---------------------------------------------------------------- pairs, with a per-sequence cache

@dataclass
class PairScores:
    chosen: SequenceScores
    rejected: SequenceScores
    chosen_ids: list[list[int]]    # response token ids (without EOS), for the edit distance
    rejected_ids: list[list[int]]


def score_pairs(loaded, pairs, options: ScoringOptions, *, want_vectors: bool, context=None,
                cache: KeyedCache | None = None) -> PairScores:
    """Chosen and rejected sides of every pair through the same forward passes.

    With ``cache`` (the workspace's log-prob cache for this model), log-probs already known are reused when no
    vectors are needed, and every pass stores its log-probs for the next analyzer or run.
    """
    tokenizer = loaded.tokenizer
    chosen = encode_pairs(tokenizer, pairs, options, "chosen")
    rejected = encode_pairs(tokenizer, pairs, options, "rejected")
    sequences = chosen + rejected
    keys = [text_key(json.dumps(s.input_ids), str(s.response_start)) for s in sequences]
    known = cache.get_records(keys) if (cache is not None and not want_vectors) else None
    if known is not None and len(known) and set(keys) <= set(known.index):
        scores = SequenceScores(
            logprob_sum=known.loc[keys, "logprob_sum"].to_numpy(np.float64),
            n_tokens=np.asarray([s.n_predicted for s in sequences], dtype=np.int64),
            truncated=np.asarray([s.truncated for s in sequences], dtype=bool),
            boundary_mismatch=np.asarray([s.boundary_mismatch for s in sequences], dtype=bool))
    else:
        scores = score_sequences(loaded, sequences, options, want_vectors=want_vectors, context=context)
        if cache is not None:
            import pandas as pd

            cache.put_records(pd.DataFrame({"key": keys, "logprob_sum": scores.logprob_sum}).drop_duplicates("key"))
    half = len(chosen)

    def part(values, lo, hi):
        return None if values is None else values[lo:hi]

    def side(lo: int, hi: int) -> SequenceScores:
        return SequenceScores(scores.logprob_sum[lo:hi], scores.n_tokens[lo:hi], scores.truncated[lo:hi],
                              scores.boundary_mismatch[lo:hi], part(scores.hidden_sum, lo, hi),
                              part(scores.last_hidden, lo, hi))

    eos = tokenizer.eos_token_id

    def response_ids(seq: EncodedSequence) -> list[int]:
        ids = seq.input_ids[seq.response_start:]
        return ids[:-1] if (eos is not None and ids and ids[-1] == eos) else ids

    return PairScores(side(0, half), side(half, 2 * half), [response_ids(s) for s in chosen],
                      [response_ids(s) for s in rejected])


def logprob_cache(cache_dir, model_label: str, dtype, options: ScoringOptions) -> KeyedCache | None:
    """The workspace's per-sequence log-prob cache for one model, dtype and prompt formatting."""
    if cache_dir is None:
        return None
    from pathlib import Path

    key = text_key(model_label, str(dtype), str(options.max_length), str(options.use_chat_template))
    return KeyedCache(Path(cache_dir) / "logprobs" / key[:16])


def sigmoid(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.where(values >= 0, 1 / (1 + np.exp(-np.abs(values))), np.exp(-np.abs(values)) / (1 + np.exp(-np.abs(values))))
