"""The HTTP client of BottleCRM's REST API: token auth, list shapes, paging, error mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from syncline.connectors.base import RecordPage
from syncline.connectors.bottlecrm.errors import error_for_response, error_for_transport
from syncline.connectors.bottlecrm.settings import BottleCrmSettings
from syncline.errors import PermanentError

T = TypeVar("T")
R = TypeVar("R")

Json = dict[str, Any]


@dataclass(frozen=True)
class ListShape:
    """Where one endpoint's list reply keeps its records and its next offset.

    ``records`` is a path of keys (``("active_accounts", "open_accounts")``); ``next_offset``
    the path to the next page's offset (None when the reply has no paging information and the
    total ``count`` decides).
    """

    records: tuple[str, ...]
    next_offset: tuple[str, ...] | None = None
    count: tuple[str, ...] | None = None


def dig(body: Any, path: Sequence[str]) -> Any:
    """``body[path[0]][path[1]]...``, or None where a key is missing."""
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


class BottleCrmClient:
    """Thread-safe; one instance per configured system."""

    def __init__(
        self,
        system: str,
        settings: BottleCrmSettings,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.system = system
        self.settings = settings
        self.base_url = settings.base_url()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=settings.timeout_seconds,
            headers={
                "Authorization": f"Bearer {settings.token.get_secret_value()}",
                "Accept": "application/json",
            },
            transport=transport,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=settings.write_concurrency, thread_name_prefix=f"bottlecrm-{system}"
        )

    # -- single requests -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Json | None = None,
        params: dict[str, str | int] | None = None,
        missing_ok: bool = False,
    ) -> Json | None:
        """One API call; the reply's JSON object. With ``missing_ok`` a 404 returns None.

        Raises TransientError, RateLimitedError, AuthError or PermanentError.
        """
        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self.system, self.base_url) from exc
        if missing_ok and response.status_code == 404:
            return None
        error = error_for_response(response, self.system)
        if error is not None:
            raise error
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise PermanentError(
                f"BottleCRM answered {method} {path} with non-JSON content",
                system=self.system,
                remote_message=response.text[:300],
            ) from None
        if not isinstance(body, dict):
            return {"results": body}
        return body

    def get(self, path: str, params: dict[str, str | int] | None = None) -> Json:
        body = self.request("GET", path, params=params)
        assert body is not None  # only missing_ok returns None
        return body

    def get_optional(self, path: str) -> Json | None:
        """GET a detail; None when the record does not exist (404)."""
        return self.request("GET", path, missing_ok=True)

    def post(self, path: str, payload: Json) -> Json:
        body = self.request("POST", path, json=payload)
        assert body is not None
        return body

    def patch(self, path: str, payload: Json) -> Json:
        body = self.request("PATCH", path, json=payload)
        assert body is not None
        return body

    def delete(self, path: str) -> bool:
        """Delete; False when the record was already gone (404)."""
        return self.request("DELETE", path, missing_ok=True) is not None

    # -- listings ------------------------------------------------------------------------------

    def pages(
        self, path: str, shapes: Sequence[ListShape], params: dict[str, str | int] | None = None
    ) -> Iterator[list[Json]]:
        """Every record of a list endpoint in pages of ``page_size``.

        ``shapes`` are the lists a reply carries (accounts: open and closed); each page yields
        the records of all of them. Records seen on an earlier page are not repeated.
        """
        limit = self.settings.page_size
        offset = 0
        guard = RecordPage()
        seen: set[str] = set()
        while True:
            guard.check(str(offset))
            body = self.get(path, {**(params or {}), "limit": limit, "offset": offset})
            page: list[Json] = []
            more = False
            for shape in shapes:
                records = dig(body, shape.records)
                if not isinstance(records, list):
                    raise PermanentError(
                        f"BottleCRM's reply to GET {path} has no list at "
                        f"{'.'.join(shape.records)}; is this BottleCRM 1.35?",
                        system=self.system,
                    )
                for record in records:
                    native_id = str(record.get("id"))
                    if native_id not in seen:
                        seen.add(native_id)
                        page.append(record)
                more = more or self._has_more(body, shape, offset, len(records))
            if page:
                yield page
            if not more:
                return
            offset += limit

    def _has_more(self, body: Json, shape: ListShape, offset: int, got: int) -> bool:
        if got < self.settings.page_size:
            return False
        if shape.count is not None:
            total = dig(body, shape.count)
            try:
                return offset + got < int(total)
            except (TypeError, ValueError):
                return True
        if shape.next_offset is not None:
            return dig(body, shape.next_offset) is not None
        return True

    # -- bounded concurrency -------------------------------------------------------------------

    def map_concurrently(self, work: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[work(item) ...]`` run on the write pool (``write_concurrency`` threads), in order.

        Exceptions raised by ``work`` propagate; callers catch per-item errors inside ``work``.
        """
        if len(items) <= 1:
            return [work(item) for item in items]
        return list(self._pool.map(work, items))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._http.close()
