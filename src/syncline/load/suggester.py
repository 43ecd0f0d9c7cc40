"""The sync engine's fuzzy hook: new records scored against the other system's records.

A load matches whole systems once; during continuous sync a record without a link (a new
account typed in the CRM, say) is first looked up by the map's deterministic keys and then,
for a map with ``match.fuzzy: true``, scored here. The engine links a suggestion at or above
``auto_link`` and holds one in the grey zone for a person (a review item), exactly as a load
would.
"""

from __future__ import annotations

from collections.abc import Sequence

from syncline.connectors.base import NativeRecord
from syncline.load.fuzzy import match_record, matcher_for
from syncline.matching import Decision
from syncline.store.links import Side
from syncline.sync.context import MapContext
from syncline.sync.fields import other
from syncline.sync.links import Suggestion


class FuzzySuggester:
    """Scores unlinked records against a full scan of the other system (parties, contacts).

    The scan happens only in a cycle that met records without a link and a key partner, so a
    quiet cycle costs nothing.
    """

    def __init__(self, default_country: str = "") -> None:
        self.default_country = default_country

    def suggest(
        self, ctx: MapContext, side: Side, records: Sequence[NativeRecord]
    ) -> list[Suggestion]:
        left = [
            converted
            for r in records
            if r.data is not None and (converted := match_record(r.native_id, r.data))
        ]
        if not left:
            return []
        right = [
            converted
            for page in ctx.connectors[other(side)].scan(ctx.entity)
            for r in page
            if not r.deleted
            and r.data is not None
            and (converted := match_record(r.native_id, r.data))
        ]
        if not right:
            return []
        outcome = matcher_for(ctx.config.match.thresholds, self.default_country).link(left, right)
        return [
            Suggestion(
                native_id=pair.left_id,
                partner_id=pair.right_id,
                score=pair.score,
                details={"reason": str(pair.reason), "source": "sync"},
            )
            for decision in (Decision.LINK, Decision.REVIEW)
            for pair in outcome.pairs(decision)
        ]


__all__ = ["FuzzySuggester"]
