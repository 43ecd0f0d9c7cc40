"""A Tryton answering JSON-RPC by method name, for unit tests of code above the client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from syncline.connectors.tryton import TrytonClient, TrytonSettings, codec

SETTINGS = TrytonSettings(url="http://erp.test:8000/", database="demo", password="s3cret")

Answer = Callable[[list[Any]], Any]


class ScriptedTryton:
    """Logs in (company 1), then answers ``model.<model>.<method>`` from ``answers``, which
    are handed the call's parameters (dates decoded); every call is kept in ``calls``."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = {
            "common.db.login": lambda _: [7, "tok", None],
            "model.res.user.get_preferences": lambda _: {"company": 1, "language": "en"},
            **answers,
        }
        self.calls: list[tuple[str, list[Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = codec.loads(request.content)
        method, params = body["method"], body["params"]
        self.calls.append((method, params))
        result = self.answers[method](params)
        reply = codec.dumps({"id": body["id"], "result": result})
        return httpx.Response(200, stream=httpx.ByteStream(reply))  # streamed, as from the network

    def client(self) -> TrytonClient:
        return TrytonClient(SETTINGS, transport=httpx.MockTransport(self))

    def params_of(self, method: str) -> list[list[Any]]:
        """The parameters of every call of ``method``, in order."""
        return [params for called, params in self.calls if called == method]
