"""LLM backends: the HTTP client against a local OpenAI-compatible server (retries, cache, concurrency bound,
the key from the environment never written to disk), spec parsing, robust JSON reading, and one short
generation with the embedded local model (marked slow: it converts the model once, ~30 s)."""
from __future__ import annotations

import os
import threading

import pytest

from analyzers.base import RunContext
from tests.fake_openai_server import FakeOpenAIServer
from workbench.errors import AnalyzerError, JobCancelled
from workbench.llm import INVALID, LocalBackend, OpenAIBackend, clear_memory_cache, get_backend, parse_json_answer, parse_spec


@pytest.fixture(autouse=True)
def fresh_memory():
    clear_memory_cache()
    yield
    clear_memory_cache()


def echo(messages):
    return "echo: " + messages[-1]["content"]


def ask(n: int) -> list[list[dict]]:
    return [[{"role": "user", "content": f"question {i}"}] for i in range(n)]


def test_spec_parsing():
    assert parse_spec("local:default") == ("local", "default", None)
    assert parse_spec("") == ("local", "default", None)
    assert parse_spec("local:/models/qwen") == ("local", "/models/qwen", None)
    assert parse_spec("openai:qwen2.5:7b@http://127.0.0.1:11434/v1") == ("openai", "qwen2.5:7b", "http://127.0.0.1:11434/v1")
    for bad in ("openai:gpt-4o", "openai:@http://x", "vllm:foo", "openai:m@ftp://x"):
        with pytest.raises(AnalyzerError, match="Setting 'backend'"):
            parse_spec(bad)
    assert isinstance(get_backend("openai:m@http://127.0.0.1:1/v1"), OpenAIBackend)
    assert isinstance(get_backend("local:default"), LocalBackend)


@pytest.mark.parametrize("text, expected", [
    ('["a", "b"]', ["a", "b"]),
    ('Sure! ```json\n["a", "b"]\n``` Hope it helps.', ["a", "b"]),
    ("Here you go: {'1': 'A', '2': 'neither'} done", {"1": "A", "2": "neither"}),
    ('{"1": "A", "2": "B",}', {"1": "A", "2": "B"}),
    ('The answer {is} not json', INVALID),
    ("", INVALID),
    (None, INVALID),
    ('["unclosed", "list"', INVALID),
])
def test_parse_json_answer(text, expected):
    assert parse_json_answer(text) == expected if expected is not INVALID else parse_json_answer(text) is INVALID


def test_parse_json_answer_checks_the_expected_type():
    assert parse_json_answer('{"a": 1}', expect=list) is INVALID
    assert parse_json_answer('noise [1, 2] and {"x": 1}', expect=dict) == {"x": 1}


def test_answers_in_order_with_the_model_and_settings_sent():
    with FakeOpenAIServer(echo) as server:
        backend = get_backend(server.spec("my-model"), concurrency=3)
        answers = backend.chat(ask(7), max_tokens=12, temperature=0.5, seed=3)
    assert answers == [f"echo: question {i}" for i in range(7)]
    assert {r["model"] for r in server.requests} == {"my-model"}
    assert {(r["max_tokens"], r["temperature"], r["seed"]) for r in server.requests} == {(12, 0.5, 3)}


def test_retries_on_500_and_429_then_succeeds():
    for status in (500, 429):
        clear_memory_cache()
        with FakeOpenAIServer(echo, fail_first=2, fail_status=status, retry_after="0") as server:
            backend = get_backend(server.spec(), max_retries=2, backoff_s=0.01, concurrency=1)
            assert backend.chat(ask(1), max_tokens=5) == ["echo: question 0"]
        assert server.failures_sent == 2 and len(server.requests) == 3


def test_gives_none_after_retries_run_out():
    with FakeOpenAIServer(echo, fail_first=10, fail_status=503) as server:
        backend = get_backend(server.spec(), max_retries=1, backoff_s=0.01)
        assert backend.chat(ask(1), max_tokens=5) == [None]
    assert len(server.requests) == 2  # one call plus one retry
    assert backend.last_stats.failed == 1


def test_unreachable_endpoint_gives_none_quickly():
    backend = get_backend("openai:m@http://127.0.0.1:9/v1", max_retries=0)
    assert backend.chat(ask(2), max_tokens=5) == [None, None]


def test_bad_key_is_one_clear_error():
    with FakeOpenAIServer(echo, fail_first=1, fail_status=401) as server:
        with pytest.raises(AnalyzerError, match="api_key_env"):
            get_backend(server.spec(), max_retries=3, backoff_s=0.01).chat(ask(1), max_tokens=5)


def test_concurrency_is_bounded():
    with FakeOpenAIServer(echo, delay_s=0.05) as server:
        get_backend(server.spec(), concurrency=3).chat(ask(12), max_tokens=5)
    assert server.max_in_flight == 3  # reached, never exceeded


def test_workspace_cache_answers_repeated_questions(tmp_path):
    with FakeOpenAIServer(echo) as server:
        first = get_backend(server.spec(), cache_dir=tmp_path).chat(ask(4), max_tokens=5)
        assert len(server.requests) == 4
        clear_memory_cache()  # a new process: only the workspace cache remains
        again = get_backend(server.spec(), cache_dir=tmp_path)
        assert again.chat(ask(5), max_tokens=5) == first + ["echo: question 4"]
        assert len(server.requests) == 5 and again.last_stats.cached == 4
        clear_memory_cache()
        # other sampling settings are other questions
        get_backend(server.spec(), cache_dir=tmp_path).chat(ask(1), max_tokens=6)
        assert len(server.requests) == 6


def test_failed_calls_are_not_cached(tmp_path):
    with FakeOpenAIServer(echo, fail_first=1, fail_status=500) as server:
        assert get_backend(server.spec(), cache_dir=tmp_path, max_retries=0).chat(ask(1), max_tokens=5) == [None]
        assert get_backend(server.spec(), cache_dir=tmp_path, max_retries=0).chat(ask(1), max_tokens=5) == ["echo: question 0"]


def test_api_key_from_env_is_sent_but_never_written(tmp_path, monkeypatch):
    secret = "sk-test-very-secret-0123456789"
    monkeypatch.setenv("MY_LLM_KEY", secret)
    with FakeOpenAIServer(echo) as server:
        backend = get_backend(server.spec(), cache_dir=tmp_path, api_key_env="MY_LLM_KEY")
        backend.chat(ask(3), max_tokens=5)
    assert {h.get("Authorization") for h in server.headers} == {f"Bearer {secret}"}
    assert secret not in backend.label
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written, "the cache wrote nothing"
    for path in written:
        assert secret.encode() not in path.read_bytes(), path


def test_no_key_no_authorization_header(monkeypatch):
    monkeypatch.delenv("UNSET_KEY_VAR", raising=False)
    with FakeOpenAIServer(echo) as server:
        get_backend(server.spec(), api_key_env="UNSET_KEY_VAR").chat(ask(1), max_tokens=5)
    assert "Authorization" not in server.headers[0]


def test_progress_and_cancel():
    seen = []
    with FakeOpenAIServer(echo) as server:
        context = RunContext(report=lambda done, total, message: seen.append((done, total)))
        get_backend(server.spec(), concurrency=2, context=context).chat(ask(20), max_tokens=5)
        assert seen[-1] == (20, 20) and len(seen) >= 2
        cancelled = RunContext(should_cancel=lambda: True)
        with pytest.raises(JobCancelled):
            get_backend(server.spec(), context=cancelled).chat(ask(3), max_tokens=6)


@pytest.mark.slow
def test_local_backend_generates_with_the_embedded_model(tmp_path):
    backend = get_backend("local:default", cache_dir=tmp_path, device="cpu")
    answers = backend.chat([[{"role": "user", "content": "Say hello."}], [{"role": "user", "content": "Name a colour."}]],
                           max_tokens=8)
    assert len(answers) == 2 and all(isinstance(a, str) and a for a in answers)
    clear_memory_cache()
    again = get_backend("local:default", cache_dir=tmp_path, device="cpu")
    assert again.chat([[{"role": "user", "content": "Say hello."}]], max_tokens=8) == answers[:1]
    assert again.last_stats.cached == 1
