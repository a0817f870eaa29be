"""LLM backends for analyzers that ask a language model questions (ICAI principles, fixed traits).

A backend is named by a *spec* string:

- ``local:default``: the embedded SmolLM2-135M-Instruct (offline; weak, expect many unparseable answers);
- ``local:/path/to/folder`` or ``local:org/model``: any causal LM with a chat template, run with transformers;
- ``openai:<model>@<base_url>``: any OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp server,
  ollama, a hosted API), e.g. ``openai:gpt-4o-mini@https://api.openai.com/v1`` or
  ``openai:qwen2.5:7b@http://127.0.0.1:11434/v1``. The API key is read from the environment variable named
  by the ``api_key_env`` option (default ``OPENAI_API_KEY``) at call time; it is never stored anywhere.

``Backend.chat(conversations, max_tokens=..., temperature=..., seed=...)`` answers a list of conversations
(each a list of ``{"role", "content"}`` messages) with one text per conversation, or ``None`` for a call
that failed after its retries. Answers are cached in the workspace (``<cache_dir>/llm``) keyed by model,
messages and sampling settings, so a re-run or a resumed job asks nothing twice. HTTP calls run in a
bounded thread pool with retries and exponential back-off on 429, 5xx and connection errors.
"""
from __future__ import annotations

import ast
import json
import math
import os
import re
import threading
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from workbench.errors import AnalyzerError
from workbench.keyed_cache import KeyedCache, text_key

if TYPE_CHECKING:  # analyzers import this module; importing analyzers here at run time would be circular
    from analyzers.base import RunContext

Message = dict[str, str]
Conversation = Sequence[Message]
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
CHARS_PER_TOKEN = 4  # rough English average, for the estimate shown before a run
RETRY_STATUS = (408, 409, 425, 429, 500, 502, 503, 504)
# Answers computed in this process, so a repeated question outside a workspace is not asked again.
_memory: dict[str, str] = {}
_memory_lock = threading.Lock()


def estimate_tokens(text: str) -> int:
    """A rough token count (characters / 4) for the call estimate; not used for anything exact."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def conversation_tokens(conversation: Conversation) -> int:
    return sum(estimate_tokens(message.get("content", "")) + 4 for message in conversation)


@dataclass(frozen=True)
class CallStats:
    """What one ``chat`` call did: answers served from the cache, calls made, calls that failed."""

    cached: int = 0
    called: int = 0
    failed: int = 0


class Backend(ABC):
    """Answers chat conversations; subclasses implement ``_generate`` for the conversations not cached."""

    kind: str = ""

    def __init__(self, model: str, *, cache_dir: str | Path | None = None, context: "RunContext | None" = None):
        from analyzers.base import RunContext

        self.model = model
        self.cache = KeyedCache(Path(cache_dir) / "llm" / text_key(self.label)[:16]) if cache_dir else None
        self.context = context or RunContext()
        self.last_stats = CallStats()

    @property
    def label(self) -> str:
        """Names the model for cache keys and provenance (never includes a key or secret)."""
        return f"{self.kind}:{self.model}"

    def cache_key(self, conversation: Conversation, max_tokens: int, temperature: float, seed: int | None) -> str:
        # Greedy decoding ignores the seed, so it is left out of the key then.
        seed_part = "" if temperature == 0 else str(seed)
        return text_key(self.label, json.dumps(list(conversation), sort_keys=True, ensure_ascii=False),
                        str(int(max_tokens)), repr(float(temperature)), seed_part)

    def chat(self, conversations: Sequence[Conversation], *, max_tokens: int, temperature: float = 0.0,
             seed: int | None = None, message: str = "asking the LLM") -> list[str | None]:
        """One answer per conversation (None where the call failed after retries), reusing cached answers."""
        if max_tokens <= 0:
            raise AnalyzerError(f"max_tokens must be positive, got {max_tokens}.")
        if temperature < 0:
            raise AnalyzerError(f"temperature must be >= 0, got {temperature}.")
        keys = [self.cache_key(c, max_tokens, temperature, seed) for c in conversations]
        answers: dict[str, str] = {}
        with _memory_lock:
            answers.update({key: _memory[key] for key in keys if key in _memory})
        missing = [key for key in set(keys) if key not in answers]
        if self.cache is not None and missing:
            stored = self.cache.get_records(missing)
            if len(stored):
                answers.update(stored["answer"].to_dict())
        todo_keys: list[str] = []
        todo: list[Conversation] = []
        for key, conversation in zip(keys, conversations):
            if key not in answers and key not in todo_keys:
                todo_keys.append(key)
                todo.append(conversation)
        cached = len(keys) - sum(1 for key in keys if key in todo_keys)
        results: list[str | None] = []
        if todo:
            results = self._generate(todo, max_tokens=max_tokens, temperature=temperature, seed=seed, message=message)
            fresh = {key: text for key, text in zip(todo_keys, results) if text is not None}
            answers.update(fresh)
            with _memory_lock:
                _memory.update(fresh)
            if self.cache is not None and fresh:
                self.cache.put_records(pd.DataFrame({"key": list(fresh), "answer": list(fresh.values())}))
        self.last_stats = CallStats(cached=cached, called=len(todo), failed=sum(r is None for r in results))
        return [answers.get(key) for key in keys]

    @abstractmethod
    def _generate(self, conversations: list[Conversation], *, max_tokens: int, temperature: float,
                  seed: int | None, message: str) -> list[str | None]:
        """Answers for conversations not in the cache; reports progress and honours cancellation."""


# ---------------------------------------------------------------- local transformers generation

class LocalBackend(Backend):
    """Generation with a local causal LM (transformers), batched with left padding."""

    kind = "local"

    def __init__(self, model: str = "default", *, device: str = "auto", batch_size: int = 8,
                 trust_remote_code: bool = False, **options: Any):
        super().__init__(model, **options)
        self.device = device
        self.batch_size = batch_size
        self.trust_remote_code = trust_remote_code

    @property
    def label(self) -> str:
        from workbench.models import model_label

        return f"local:{model_label(self.model)}"

    def _generate(self, conversations: list[Conversation], *, max_tokens: int, temperature: float,
                  seed: int | None, message: str) -> list[str | None]:
        import torch

        from workbench.models import load_causal_lm

        loaded = load_causal_lm(self.model, device=self.device, trust_remote_code=self.trust_remote_code)
        tokenizer = loaded.tokenizer
        if getattr(tokenizer, "chat_template", None) is None:
            raise AnalyzerError(f"Model '{self.model}' has no chat template; give an instruction-tuned model for "
                                "setting 'backend'.")
        texts = [tokenizer.apply_chat_template(list(c), tokenize=False, add_generation_prompt=True) for c in conversations]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths share a batch: less padding
        answers: list[str | None] = [None] * len(texts)
        tokenizer.padding_side = "left"
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        done = 0
        for start in range(0, len(order), self.batch_size):
            self.context.check_cancelled()
            indices = order[start:start + self.batch_size]
            encoded = tokenizer([texts[i] for i in indices], return_tensors="pt", padding=True,
                                add_special_tokens=False).to(loaded.device)
            sampling = {"do_sample": False}
            if temperature > 0:
                sampling = {"do_sample": True, "temperature": temperature}
                if seed is not None:
                    torch.manual_seed(seed + start)
            with torch.no_grad():
                output = loaded.model.generate(**encoded, max_new_tokens=max_tokens, pad_token_id=pad_id,
                                               top_p=None, top_k=None, **sampling)
            new_tokens = output[:, encoded["input_ids"].shape[1]:]
            for index, tokens in zip(indices, new_tokens):
                answers[index] = tokenizer.decode(tokens, skip_special_tokens=True).strip()
            done += len(indices)
            self.context.progress(done, len(texts), f"{message} ({loaded.name})")
        return answers


# ---------------------------------------------------------------- OpenAI-compatible HTTP

class OpenAIBackend(Backend):
    """Chat completions over HTTP: bounded concurrency, retries with exponential back-off."""

    kind = "openai"

    def __init__(self, model: str, base_url: str, *, api_key_env: str = DEFAULT_API_KEY_ENV, concurrency: int = 4,
                 max_retries: int = 3, backoff_s: float = 1.0, timeout_s: float = 120.0, **options: Any):
        if concurrency < 1:
            raise AnalyzerError(f"Setting 'concurrency' must be at least 1, got {concurrency}.")
        if max_retries < 0:
            raise AnalyzerError(f"Setting 'max_retries' must be >= 0, got {max_retries}.")
        self.base_url = base_url.rstrip("/")
        super().__init__(model, **options)
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s

    @property
    def label(self) -> str:
        return f"openai:{self.model}@{self.base_url}"

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env, "") if self.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _call(self, conversation: Conversation, max_tokens: int, temperature: float, seed: int | None) -> str | None:
        body: dict[str, Any] = {"model": self.model, "messages": list(conversation), "max_tokens": int(max_tokens),
                                "temperature": float(temperature)}
        if seed is not None:
            body["seed"] = int(seed)
        data = json.dumps(body).encode("utf-8")
        for attempt in range(self.max_retries + 1):
            if self.context.should_cancel():
                return None
            request = urllib.request.Request(f"{self.base_url}/chat/completions", data=data, headers=self._headers(),
                                             method="POST")
            wait = self.backoff_s * (2 ** attempt)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    payload = json.loads(response.read().decode("utf-8"))
                return _completion_text(payload)
            except urllib.error.HTTPError as error:
                if error.code in (401, 403):
                    raise AnalyzerError(f"The endpoint {self.base_url} refused the API key (HTTP {error.code}); set "
                                        f"the environment variable named in 'api_key_env' ({self.api_key_env}).") from None
                if error.code == 404:
                    raise AnalyzerError(f"The endpoint {self.base_url}/chat/completions or model '{self.model}' was not "
                                        "found (HTTP 404); check setting 'backend'.") from None
                if error.code not in RETRY_STATUS:
                    return None
                retry_after = error.headers.get("Retry-After") if error.headers else None
                if retry_after and retry_after.strip().replace(".", "", 1).isdigit():
                    wait = max(wait, min(float(retry_after), 60.0))
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError, ValueError):
                pass  # connection refused / reset, timeout, or a body that is not JSON: retry
            if attempt < self.max_retries:
                time.sleep(wait)
        return None

    def _generate(self, conversations: list[Conversation], *, max_tokens: int, temperature: float,
                  seed: int | None, message: str) -> list[str | None]:
        answers: list[str | None] = [None] * len(conversations)
        done = 0
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            # Submitted in windows so a cancel stops new calls within one window.
            window = self.concurrency * 4
            for start in range(0, len(conversations), window):
                self.context.check_cancelled()
                indices = range(start, min(start + window, len(conversations)))
                futures = {i: pool.submit(self._call, conversations[i], max_tokens, temperature, seed) for i in indices}
                for i, future in futures.items():
                    answers[i] = future.result()
                done += len(futures)
                self.context.progress(done, len(conversations), f"{message} ({self.model})")
        return answers


def _completion_text(payload: Any) -> str | None:
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


# ---------------------------------------------------------------- specs

BACKEND_SPEC_HELP = ("'local:default' (embedded SmolLM2-135M), 'local:<folder or hub id>', or "
                     "'openai:<model>@<base_url>' for an OpenAI-compatible endpoint")


def parse_spec(spec: str) -> tuple[str, str, str | None]:
    """(kind, model, base_url) of a backend spec; an AnalyzerError naming the setting when malformed."""
    text = (spec or "").strip()
    if text in ("", "default"):
        return "local", "default", None
    kind, _, rest = text.partition(":")
    if kind == "local" and rest.strip():
        return "local", rest.strip(), None
    if kind == "openai":
        model, at, base_url = rest.rpartition("@")
        if at and model.strip() and re.match(r"^https?://\S+$", base_url.strip()):
            return "openai", model.strip(), base_url.strip()
    raise AnalyzerError(f"Setting 'backend' is '{spec}'; use {BACKEND_SPEC_HELP}.")


def get_backend(spec: str, **options: Any) -> Backend:
    """A backend for ``spec``. Options: cache_dir, context; local: device, batch_size, trust_remote_code;
    openai: api_key_env, concurrency, max_retries, backoff_s, timeout_s (unknown options are ignored, so
    callers can pass one option set whatever the kind)."""
    kind, model, base_url = parse_spec(spec)
    common = {k: options[k] for k in ("cache_dir", "context") if k in options}
    if kind == "local":
        local = {k: options[k] for k in ("device", "batch_size", "trust_remote_code") if k in options}
        return LocalBackend(model, **common, **local)
    remote = {k: options[k] for k in ("api_key_env", "concurrency", "max_retries", "backoff_s", "timeout_s")
              if k in options}
    return OpenAIBackend(model, base_url, **common, **remote)


# ---------------------------------------------------------------- reading JSON out of answers

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([\]}])")


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()  # what ``parse_json_answer`` returns for an answer with no readable JSON


def _balanced_spans(text: str) -> list[str]:
    """Every top-level {...} or [...] span, in order (quotes respected), for answers with prose around JSON."""
    spans, depth, start, quote, escaped = [], 0, None, None, False
    closing = {"{": "}", "[": "]"}
    stack: list[str] = []
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "\"'" and depth:
            quote = char
        elif char in closing:
            if depth == 0:
                start = index
            stack.append(closing[char])
            depth += 1
        elif depth and char == stack[-1]:
            stack.pop()
            depth -= 1
            if depth == 0 and start is not None:
                spans.append(text[start:index + 1])
                start = None
        elif depth and char in "}]":
            stack, depth, start = [], 0, None  # mismatched bracket: forget this span
    return spans


def _load(candidate: str) -> Any:
    for attempt in (candidate, _TRAILING_COMMA.sub(r"\1", candidate)):
        try:
            return json.loads(attempt)
        except ValueError:
            pass
        try:  # single quotes, True/False/None: a Python literal
            return ast.literal_eval(attempt)
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            pass
    return INVALID


def parse_json_answer(text: str | None, expect: type | tuple[type, ...] = (list, dict)) -> Any:
    """The JSON value in an LLM answer, tolerating code fences, prose around it, single quotes and trailing
    commas; ``INVALID`` when there is none of the expected type. Nothing is guessed beyond that."""
    if not text or not text.strip():
        return INVALID
    candidates = [block.strip() for block in _FENCE.findall(text)] + [text.strip()]
    for candidate in candidates:
        value = _load(candidate)
        if value is not INVALID and isinstance(value, expect):
            return value
        for span in _balanced_spans(candidate):
            value = _load(span)
            if value is not INVALID and isinstance(value, expect):
                return value
    return INVALID


def clear_memory_cache() -> None:
    """Forget the answers kept in this process (tests; the workspace cache on disk stays)."""
    with _memory_lock:
        _memory.clear()
