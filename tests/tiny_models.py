"""Tiny random-weight models and a locally trained tokenizer for fast, offline model tests (never downloads)."""
from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
_CORPUS = [
    "Explain rain. Water falls from clouds. It rains. Something. Same text here. Tie? Side A. Side B.",
    "The quick brown fox jumps over the lazy dog. Hello there, how are you today? I cannot help with that.",
    "Sure! Here is a list: - one - two - three. Thank you for asking, great question. Paris is the capital.",
    "naïve café – ok naive cafe - ok Unicode ✓ 0123456789 + - * / = ( ) [ ] { } < > | ' \" , . ; : ! ?",
]


def build_tokenizer(folder: Path, *, chat_template: bool):
    """A byte-level BPE tokenizer trained in a second on a tiny corpus, saved as a HF tokenizer folder."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    specials = ["<pad>", "<s>", "</s>", "<|user|>", "<|assistant|>", "<|end|>", "<|system|>"]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(_CORPUS * 4, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    if chat_template:
        fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(folder)
    return fast


def build_tiny_llama(folder: Path, *, chat_template: bool = True, seed: int = 0, reward_head: bool = False,
                     hidden_size: int = 32, layers: int = 2) -> Path:
    """A 2-layer random Llama (causal LM, or a 1-label sequence classifier) with its tokenizer in ``folder``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, LlamaForSequenceClassification

    folder = Path(folder)
    tokenizer = build_tokenizer(folder, chat_template=chat_template)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=hidden_size * 2,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         tie_word_embeddings=False, num_labels=1)
    torch.manual_seed(seed)
    model = (LlamaForSequenceClassification if reward_head else LlamaForCausalLM)(config)
    # Random init is tiny (std 0.02); scale up so hidden states and log-probs differ visibly between texts.
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(10.0 if parameter.dim() > 1 else 1.0)
    model.save_pretrained(folder)
    return folder


_BUILT: dict[str, Path] = {}


def tiny_model_folder(kind: str = "causal") -> Path:
    """A tiny model built once per test process: "causal", "causal-no-template", "reward" or "reward-2"."""
    import tempfile

    if kind not in _BUILT:
        folder = Path(tempfile.mkdtemp(prefix=f"wb-tiny-{kind}-"))
        build_tiny_llama(folder, chat_template=kind != "causal-no-template", reward_head=kind.startswith("reward"),
                         seed=2 if kind == "reward-2" else 0)
        _BUILT[kind] = folder
    return _BUILT[kind]
