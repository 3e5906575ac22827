"""A fix for whoosh-ng 5.4.0's position decoding, used by every positional text field here.

whoosh-ng encodes positions as varints but treats any value ending in the byte b"." as a pickle
written by the old Whoosh 2.x ("legacy") format. A varint whose last byte is 46 (a final position
gap of 46 words, common in descriptions) therefore reaches pickle.loads and phrase queries raise
UnpicklingError. Our indexes are always written by whoosh-ng, so positions are decoded as varints
only. Drop this module when whoosh-ng no longer guesses the format from the last byte.
"""

from __future__ import annotations

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
