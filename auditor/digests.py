"""SHA-1 and SHA-256 for fingerprints and placeholder hashes, without loading OpenSSL.

Why: ``import hashlib`` initialises OpenSSL's ``_hashlib`` (~3.5 ms on the development machine, 4 % of
a cold scan of the twelve largest MDC templates; benchmarks/vs_checkov.py). The digests auditor takes
are of short texts (a finding's identity, a ``guid()`` argument list), where CPython's own built-in
implementations are as fast, and give the same bytes. Where a build lacks them, :mod:`hashlib` is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Digest = Callable[[bytes], Any]  # a constructor: ``sha256(data).hexdigest()``


def _builtin(name: str) -> Digest:
    try:  # CPython 3.12+: one module for the SHA-2 family
        import _sha2

        return getattr(_sha2, name)
    except (ImportError, AttributeError):
        pass
    try:  # CPython 3.11
        module = __import__(f"_{name}")
        return getattr(module, name)
    except (ImportError, AttributeError):
        import hashlib

        return getattr(hashlib, name)


#: ``hashlib.sha1`` and ``hashlib.sha256``: ``sha256(data).hexdigest()``.
sha1: Digest = _builtin("sha1")
sha256: Digest = _builtin("sha256")
