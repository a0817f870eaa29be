"""A small OpenAI-compatible chat-completions server on 127.0.0.1 for tests (http.server in a thread).

It records every request (headers, bodies, the most requests in flight at once), can fail the first calls
with a given status, and answers with a ``responder(messages) -> str``. ``rule_responder`` is a
deterministic stand-in for a capable LLM on this project's ICAI prompts: it reads the two responses out of
the prompt and applies a few transparent rules (lists, politeness, length), so pipeline tests know what
the right answers are.
"""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

POLITE_WORDS = ("please", "happy to", "thank", "glad", "of course", "great question", "hope this helps")


class FakeOpenAIServer:
    def __init__(self, responder: Callable[[list[dict]], str] | None = None, *, fail_first: int = 0,
                 fail_status: int = 500, delay_s: float = 0.0, retry_after: str | None = None):
        self.responder = responder or rule_responder
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.delay_s = delay_s
        self.retry_after = retry_after
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.failures_sent = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length).decode("utf-8"))
                with server._lock:
                    server.requests.append(body)
                    server.headers.append(dict(self.headers))
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    fail = server.failures_sent < server.fail_first
                    if fail:
                        server.failures_sent += 1
                try:
                    if server.delay_s:
                        time.sleep(server.delay_s)
                    if not self.path.endswith("/chat/completions"):
                        self._send(404, {"error": "not found"})
                    elif fail:
                        self._send(server.fail_status, {"error": "try again"}, server.retry_after)
                    else:
                        text = server.responder(body["messages"])
                        self._send(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]})
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _send(self, status: int, payload: dict, retry_after: str | None = None) -> None:
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if retry_after:
                    self.send_header("Retry-After", retry_after)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def spec(self, model: str = "fake-model") -> str:
        return f"openai:{model}@{self.base_url}"

    def __enter__(self) -> "FakeOpenAIServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------- a rule-following stand-in for an LLM

def _tag(text: str, name: str) -> str:
    match = re.search(rf"<{name}>\n(.*?)\n</{name}>", text, flags=re.DOTALL)
    return match.group(1) if match else ""


def has_list(text: str) -> bool:
    return bool(re.search(r"^\s*[-*] ", text, flags=re.MULTILINE))


def politeness(text: str) -> int:
    lowered = text.lower()
    return sum(lowered.count(word) for word in POLITE_WORDS)


def rule_side(principle: str, text_a: str, text_b: str) -> str:
    """Which response a principle selects under the stand-in's rules: 'A', 'B' or 'neither'."""
    principle = principle.lower()
    if "list" in principle:
        a, b = has_list(text_a), has_list(text_b)
    elif "polite" in principle:
        a, b = politeness(text_a), politeness(text_b)
    elif "longer" in principle:
        a, b = len(text_a.split()), len(text_b.split())
    else:
        return "neither"
    if a == b:
        return "neither"
    return "A" if a > b else "B"


def generated_for(preferred: str, other: str) -> list[str]:
    principles = []
    if has_list(preferred) and not has_list(other):
        principles.append("Select the response that uses a bulleted list.")
    if politeness(preferred) > politeness(other):
        principles.append("Select the response that is more polite.")
    if len(preferred.split()) > len(other.split()):
        principles.append("Select the response that is longer.")
    return principles or ["Select the response that is longer."]


def rule_responder(messages: list[dict]) -> str:
    text = messages[-1]["content"]
    text_a, text_b = _tag(text, "response_a"), _tag(text, "response_b")
    preferred = re.search(r"preferred Response ([AB])", text)
    if preferred:  # generation: answered in a code fence with prose, as chat models often do
        first, second = (text_a, text_b) if preferred.group(1) == "A" else (text_b, text_a)
        return "Here are the principles:\n```json\n" + json.dumps(generated_for(first, second)) + "\n```"
    listing = re.findall(r"^(\d+)\. (Select the response that .*)$", text, flags=re.MULTILINE)
    if "Which response is better?" in text:
        for _, principle in listing:
            side = rule_side(principle, text_a, text_b)
            if side != "neither":
                return json.dumps({"preferred": side})
        return "{'preferred': 'A'}"  # no principle decides (or none given): always A, in single quotes
    return json.dumps({number: rule_side(principle, text_a, text_b) for number, principle in listing})
