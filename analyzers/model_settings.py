"""Settings shared by the analyzers that run a causal LM (ches, logprob, direction), and their runtime helpers."""
from __future__ import annotations

from dataclasses import dataclass, field

from analyzers.base import RunContext
from workbench.errors import AnalyzerError
from workbench.lm_scoring import ScoringOptions, logprob_cache
from workbench.models import DEFAULT_MODEL, LoadedModel, load_causal_lm, model_label

# Settings that change how a run goes (speed, memory, where it runs), not what it computes.
MODEL_RUNTIME_SETTINGS = ("batch_size", "token_budget", "padding_side", "share_prompt", "device")


def _help(text: str) -> dict:
    return {"help": text}


@dataclass(frozen=True)
class CausalLMSettings:
    model: str = field(default=DEFAULT_MODEL, metadata=_help(
        "The causal LM you plan to train: 'default' (embedded SmolLM2-135M-Instruct), a local folder, or a hub id."))
    max_length: int = field(default=1024, metadata=_help(
        "Most tokens per prompt + response; longer sequences are truncated and flagged in the 'truncated' column."))
    use_chat_template: bool = field(default=True, metadata=_help(
        "Format the prompt with the tokenizer's chat template (when it has one) and append the response raw."))
    device: str = field(default="auto", metadata=_help("auto (CUDA, else MPS, else CPU), cpu, cuda, cuda:N or mps."))
    dtype: str = field(default="auto", metadata=_help("auto (bf16 on CUDA, fp32 elsewhere), float32, bfloat16 or float16."))
    trust_remote_code: bool = field(default=False, metadata=_help(
        "Run custom model code from the model's repository. Only for models you trust."))
    token_budget: int = field(default=8192, metadata=_help("Padded tokens per forward pass; lower it if memory runs out."))
    padding_side: str = "right"
    share_prompt: bool = field(default=True, metadata=_help(
        "Run each prompt once and both responses on its cached keys/values (faster; turn off for models whose "
        "cache cannot be reused)."))
    batch_size: int = field(default=64, metadata=_help("Pairs per stored batch (a killed run resumes from the last one)."))

    def validate(self) -> None:
        if not self.model.strip():
            raise AnalyzerError("Setting 'model' is empty; use 'default', a local folder or a hub id.")
        if self.batch_size <= 0:
            raise AnalyzerError("Setting 'batch_size' must be positive.")
        self.scoring_options().validate()

    def scoring_options(self) -> ScoringOptions:
        return ScoringOptions(max_length=self.max_length, use_chat_template=self.use_chat_template,
                              token_budget=self.token_budget, padding_side=self.padding_side,
                              share_prompt=self.share_prompt)


def load_settings_model(settings: CausalLMSettings, spec: str | None = None) -> LoadedModel:
    return load_causal_lm(spec or settings.model, device=settings.device, dtype=settings.dtype,
                          trust_remote_code=settings.trust_remote_code)


def model_cache(settings: CausalLMSettings, loaded: LoadedModel, context: RunContext):
    return logprob_cache(context.cache_dir, loaded.name, loaded.dtype, settings.scoring_options())


def settings_model_label(settings: CausalLMSettings) -> str:
    return model_label(settings.model)
