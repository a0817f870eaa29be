"""A signed BatchTopK sparse autoencoder with Matryoshka prefixes, for embedding differences (methods.md §5).

Input rows are differences d = e(A) - e(B). The encoder subtracts a pre-bias b (initialized to the
coordinate-wise median of the training rows): a = W_enc (d - b) + b_enc. The activation is the identity, so a
feature is signed (+z_j: more of j in A). Training keeps the K * batch entries of largest |a| in each batch
(BatchTopK); inference keeps the entries with |a| >= a global threshold, an EMA of the smallest kept |a| over
the training steps. The loss is the mean, over the Matryoshka prefixes m, of the normalized squared error of the
reconstruction from the first m latents only: sum ||d - (W_dec[:, :m] z[:m] + b)||^2 / sum ||d - mean(d)||^2 over the
batch. Decoder columns are rescaled to unit norm after every step. Training stops when the validation loss has
not improved for ``patience`` epochs; the best epoch's weights are kept.

Dead latents (AuxK, Gao et al. 2024): a latent that has not been kept for any of the last epoch's worth of
training rows is dead. While some are, the loss adds ``aux_coefficient`` x the normalized error of
reconstructing the main reconstruction's residual from each row's ``aux_k`` largest dead pre-activations
(residual held fixed), which gives dead latents a gradient toward what the live ones miss.

torch is imported inside the functions (heavy import).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from workbench.errors import AnalyzerError


@dataclass(frozen=True)
class SAEConfig:
    n_features: int = 32
    k: int = 4
    prefixes: tuple[int, ...] = (8, 32)  # Matryoshka prefix sizes; the last one is n_features
    learning_rate: float = 5e-4
    batch_size: int = 256
    max_epochs: int = 50
    patience: int = 3
    threshold_decay: float = 0.99  # EMA decay of the inference threshold, per step
    aux_coefficient: float = 1 / 32  # weight of the dead-latent loss (0 turns it off)
    aux_k: int = 0  # dead latents each row reconstructs its residual with; 0 = n_features // 2
    seed: int = 0
    device: str = "cpu"

    def validate(self) -> None:
        if self.n_features < 1:
            raise AnalyzerError("Setting 'n_features' must be at least 1.")
        if not 1 <= self.k <= self.n_features:
            raise AnalyzerError(f"Setting 'k' must be between 1 and n_features ({self.n_features}), got {self.k}.")
        if not self.prefixes or list(self.prefixes) != sorted(set(self.prefixes)) or self.prefixes[-1] != self.n_features \
                or self.prefixes[0] < 1:
            raise AnalyzerError(f"Setting 'matryoshka_prefixes' must be increasing sizes below n_features "
                                f"({self.n_features}); got {list(self.prefixes)[:-1]}.")
        if self.batch_size < 2:
            raise AnalyzerError("Setting 'sae_batch_size' must be at least 2.")
        if self.aux_coefficient < 0 or self.aux_k < 0:
            raise AnalyzerError("Settings 'aux_coefficient' and 'aux_k' must not be negative.")

    @property
    def dead_latent_k(self) -> int:
        return self.aux_k or max(1, self.n_features // 2)


@dataclass
class TrainedSAE:
    """The learned state, as numpy arrays (float32): everything ``encode`` needs."""

    pre_bias: np.ndarray  # (D,)
    encoder_weight: np.ndarray  # (M, D)
    encoder_bias: np.ndarray  # (M,)
    decoder_weight: np.ndarray  # (D, M), unit-norm columns
    threshold: float
    epochs: int  # epochs run (including those after the best one)
    best_epoch: int
    history: list[dict] = field(default_factory=list)  # per epoch: train_loss, val_loss, aux_loss, dead_latents

    @property
    def n_features(self) -> int:
        return int(self.encoder_weight.shape[0])


# ---------------------------------------------------------------- building blocks (torch tensors)

def pre_activations(d, pre_bias, encoder_weight, encoder_bias):
    """a = W_enc (d - b) + b_enc for a batch of rows d (B, D) -> (B, M)."""
    return (d - pre_bias) @ encoder_weight.T + encoder_bias


def batch_topk(pre: "torch.Tensor", k: int) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Keep the k * batch entries of largest |a| in the whole batch (signed values kept); zero the rest.

    Returns (sparse codes, the smallest kept |a|)."""
    import torch

    flat = pre.reshape(-1)
    keep = min(k * pre.shape[0], flat.numel())
    kept_abs, indices = torch.topk(flat.abs(), keep, sorted=False)
    codes = torch.zeros_like(flat)
    codes[indices] = flat[indices]
    return codes.reshape(pre.shape), kept_abs.min()


def matryoshka_loss(d, codes, decoder_weight, pre_bias, prefixes: tuple[int, ...]):
    """Mean over prefixes m of sum ||d - (W_dec[:, :m] z[:m] + b)||^2 / sum ||d - mean(d)||^2 over the batch.

    The denominator is the batch's own spread, not ||d - b||: with a learnable b in the denominator the
    optimizer could shrink the loss by moving b away from the data."""
    import torch

    target = d - pre_bias
    denominator = (d - d.mean(dim=0, keepdim=True)).pow(2).sum().clamp_min(1e-12)
    losses = []
    # Reconstructions of nested prefixes share partial sums: add each block of latents once.
    partial = torch.zeros_like(target)
    start = 0
    for size in prefixes:
        partial = partial + codes[:, start:size] @ decoder_weight[:, start:size].T
        losses.append((target - partial).pow(2).sum() / denominator)
        start = size
    return torch.stack(losses).mean()


def dead_latent_loss(d, codes, pre, decoder_weight, pre_bias, dead, aux_k: int):
    """||e - W_dec z_aux||^2 / ||e - mean(e)||^2 over the batch, where e = d - (W_dec z + b) is the residual (held
    fixed) and z_aux keeps each row's ``aux_k`` largest |pre-activations| among the ``dead`` latents; 0 when
    none is dead."""
    import torch

    n_dead = int(dead.sum())
    if n_dead == 0:
        return torch.zeros((), device=d.device)
    residual = (d - pre_bias - codes @ decoder_weight.T).detach()
    masked = torch.where(dead[None, :], pre, torch.zeros_like(pre))
    keep = min(aux_k, n_dead)
    _, indices = masked.abs().topk(keep, dim=1)
    aux_codes = torch.zeros_like(pre).scatter(1, indices, masked.gather(1, indices))
    denominator = (residual - residual.mean(dim=0, keepdim=True)).pow(2).sum().clamp_min(1e-12)
    return (residual - aux_codes @ decoder_weight.T).pow(2).sum() / denominator


def normalize_decoder(decoder_weight) -> None:
    """Rescale each decoder column to unit norm, in place."""
    import torch

    with torch.no_grad():
        decoder_weight /= decoder_weight.norm(dim=0, keepdim=True).clamp_min(1e-12)


# ---------------------------------------------------------------- training

def _initial_parameters(train: "torch.Tensor", config: SAEConfig, generator) -> dict:
    import torch

    dim = train.shape[1]
    bound = 1.0 / math.sqrt(dim)
    encoder_weight = (torch.rand(config.n_features, dim, generator=generator, dtype=torch.float32) * 2 - 1) * bound
    decoder_weight = encoder_weight.T.clone()
    normalize_decoder(decoder_weight)
    # torch.median returns the lower middle value; the coordinate-wise median proper averages the two middles.
    pre_bias = torch.from_numpy(np.median(train.cpu().numpy(), axis=0).astype(np.float32))
    return {"pre_bias": pre_bias, "encoder_weight": encoder_weight,
            "encoder_bias": torch.zeros(config.n_features), "decoder_weight": decoder_weight}


def _epoch_loss(data, params, config: SAEConfig) -> float:
    """Mean Matryoshka loss over fixed, in-order batches (no gradient)."""
    import torch

    if data.shape[0] == 0:
        return float("nan")
    total, batches = 0.0, 0
    with torch.no_grad():
        for start in range(0, data.shape[0], config.batch_size):
            chunk = data[start:start + config.batch_size]
            codes, _ = batch_topk(pre_activations(chunk, params["pre_bias"], params["encoder_weight"],
                                                  params["encoder_bias"]), config.k)
            total += float(matryoshka_loss(chunk, codes, params["decoder_weight"], params["pre_bias"], config.prefixes))
            batches += 1
    return total / batches


def train_sae(train_differences: np.ndarray, validation_differences: np.ndarray, config: SAEConfig, *,
              progress: Callable[[int, int, str], None] | None = None,
              check_cancelled: Callable[[], None] | None = None) -> TrainedSAE:
    """Train on ``train_differences`` plus their sign-flipped copies; early-stop on the validation loss.

    The caller deduplicates and splits; when the validation set is empty the training loss decides.
    Deterministic for a seed on CPU (one seeded generator drives initialization and shuffling).
    """
    import torch

    config.validate()
    if len(train_differences) == 0:
        raise AnalyzerError("The features analyzer found no training pairs with different responses.")
    device = torch.device(config.device)
    generator = torch.Generator().manual_seed(config.seed)
    base = torch.from_numpy(np.ascontiguousarray(train_differences, dtype=np.float32))
    train = torch.cat([base, -base])  # augmentation: the same pair with A and B swapped
    validation = torch.from_numpy(np.ascontiguousarray(validation_differences, dtype=np.float32))
    if len(validation):
        validation = torch.cat([validation, -validation]).to(device)
    params = {name: value.to(device).requires_grad_(True)
              for name, value in _initial_parameters(base, config, generator).items()}  # median of d, not of +-d
    train = train.to(device)
    optimizer = torch.optim.Adam(list(params.values()), lr=config.learning_rate)
    threshold_tensor = None
    best_loss, best_epoch, best_state, history = math.inf, 0, None, []
    epochs_without_gain = 0
    epoch = 0
    n = train.shape[0]
    rows_since_kept = torch.zeros(config.n_features, dtype=torch.long, device=device)
    for epoch in range(1, config.max_epochs + 1):
        if check_cancelled:
            check_cancelled()
        order = torch.randperm(n, generator=generator).to(device)
        train_total, aux_total, steps = torch.zeros((), device=device), torch.zeros((), device=device), 0
        for start in range(0, n, config.batch_size):
            batch = train[order[start:start + config.batch_size]]
            pre = pre_activations(batch, params["pre_bias"], params["encoder_weight"], params["encoder_bias"])
            codes, smallest_kept = batch_topk(pre, config.k)
            loss = matryoshka_loss(batch, codes, params["decoder_weight"], params["pre_bias"], config.prefixes)
            kept = (codes != 0).any(dim=0)
            rows_since_kept = torch.where(kept, torch.zeros_like(rows_since_kept), rows_since_kept + batch.shape[0])
            total = loss
            if config.aux_coefficient > 0:
                aux = dead_latent_loss(batch, codes, pre, params["decoder_weight"], params["pre_bias"],
                                       rows_since_kept >= n, config.dead_latent_k)
                total = loss + config.aux_coefficient * aux
                aux_total += aux.detach()
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            normalize_decoder(params["decoder_weight"].data)
            smallest = smallest_kept.detach()
            threshold_tensor = smallest if threshold_tensor is None else \
                config.threshold_decay * threshold_tensor + (1 - config.threshold_decay) * smallest
            train_total += loss.detach()
            steps += 1
        train_loss = float(train_total) / steps
        params_now = {name: value.detach() for name, value in params.items()}
        val_loss = _epoch_loss(validation, params_now, config) if len(validation) else train_loss
        threshold = float(threshold_tensor)
        history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                        "aux_loss": float(aux_total) / steps, "dead_latents": int((rows_since_kept >= n).sum())})
        if progress:
            progress(epoch, config.max_epochs, f"training the sparse autoencoder: epoch {epoch}, "
                                               f"validation loss {val_loss:.4f}")
        if val_loss < best_loss - 1e-6:
            best_loss, best_epoch, epochs_without_gain = val_loss, epoch, 0
            best_state = {name: value.detach().cpu().numpy().copy() for name, value in params.items()}
            best_state["threshold"] = threshold
        else:
            epochs_without_gain += 1
            if epochs_without_gain >= config.patience:
                break
    assert best_state is not None
    return TrainedSAE(pre_bias=best_state["pre_bias"], encoder_weight=best_state["encoder_weight"],
                      encoder_bias=best_state["encoder_bias"], decoder_weight=best_state["decoder_weight"],
                      threshold=float(best_state["threshold"]), epochs=epoch, best_epoch=best_epoch, history=history)


# ---------------------------------------------------------------- inference

def encode(differences: np.ndarray, sae: TrainedSAE, *, device: str = "cpu", chunk: int = 65536) -> np.ndarray:
    """Sparse feature activations (N, M) at inference: entries with |a| below the learned threshold are zero.

    Each row is encoded on its own terms (a fixed threshold, no batch-level top-k), so results do not depend
    on which rows are encoded together."""
    import torch

    weights = {name: torch.from_numpy(getattr(sae, name)).to(device)
               for name in ("pre_bias", "encoder_weight", "encoder_bias")}
    out = np.zeros((len(differences), sae.n_features), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(differences), chunk):
            rows = torch.from_numpy(np.ascontiguousarray(differences[start:start + chunk], dtype=np.float32)).to(device)
            pre = pre_activations(rows, weights["pre_bias"], weights["encoder_weight"], weights["encoder_bias"])
            out[start:start + len(rows)] = torch.where(pre.abs() >= sae.threshold, pre, torch.zeros_like(pre)).cpu().numpy()
    return out


def reconstruct(codes: np.ndarray, sae: TrainedSAE) -> np.ndarray:
    """W_dec z + b: the differences as the autoencoder rebuilds them from their codes."""
    return codes @ sae.decoder_weight.T + sae.pre_bias
