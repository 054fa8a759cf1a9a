"""Digests over sequences of pieces (the cache's key and memo, where a memo lives).

Each piece is fed with its length first, so that no two different sequences of pieces
feed the same bytes.  Only hashlib is loaded: ``memo_slot`` runs before the compile's
workers fork.
"""

from __future__ import annotations

import hashlib


def feed_length_prefixed(digest: hashlib._Hash, data: bytes) -> None:
    """Add one piece to a digest, its length first."""
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)
