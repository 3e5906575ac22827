"""Two fixes for whoosh-ng 5.4.0, applied when this module is imported (index.text imports it).

1. Position decoding, used by every positional text field here. whoosh-ng encodes positions as
   varints but treats any value ending in the byte b"." as a pickle written by the old Whoosh 2.x
   ("legacy") format. A varint whose last byte is 46 (a final position gap of 46 words, common in
   descriptions) therefore reaches pickle.loads and phrase queries raise UnpicklingError. Our
   indexes are always written by whoosh-ng, so positions are decoded as varints only. Drop
   VarintPositions when whoosh-ng no longer guesses the format from the last byte.
2. Committing a segment asks each posting's field length; for a field without lengths (an ID
   field) the segment reader looks for the column file again on every posting, one stat() call
   each: a tenth of the keyword index's share of a metadata ingest. Remembering that the column
   is absent (a segment's files never change) removes it. Drop the patch when whoosh-ng caches
   the miss itself.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE, unpack_uint


class VarintPositions(Positions):
    """Positions format that never mistakes a varint for a legacy pickle."""

    def decode_positions(self, valuestring: bytes) -> list[int]:
        count = unpack_uint(valuestring[:_INT_SIZE])[0]
        positions: list[int] = []
        offset, position = _INT_SIZE, 0
        for _ in range(count):
            byte = valuestring[offset]
            offset += 1
            delta, shift = byte & 0x7F, 7
            while byte & 0x80:
                byte = valuestring[offset]
                offset += 1
                delta |= (byte & 0x7F) << shift
                shift += 7
            position += delta
            positions.append(position)
        return positions


def _cached_reader(self: W3PerDocReader, fieldname: str, column: Any) -> Any:
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader  # None too: the column is not there
        return reader


W3PerDocReader._cached_reader = _cached_reader
