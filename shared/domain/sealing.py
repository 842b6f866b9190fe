"""Secrets the service must read again (a published calendar's address), sealed at rest.

AES-256-GCM under a key derived from the service's secret key with HKDF, one key per purpose;
what a sealed value belongs to (a row's id) is bound in as associated data, so that a value
copied onto another row does not open there. A changed secret key opens nothing sealed before.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


class Unsealable(Exception):
    """The value was sealed under another key, for another row, or has been changed."""


class Sealer:
    def __init__(self, secret: bytes, purpose: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"intervisie:{purpose}".encode()).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, text: str, belongs_to: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode(), belongs_to.encode())
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, belongs_to: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], belongs_to.encode()).decode()
        except (InvalidTag, ValueError) as error:
            raise Unsealable("the value does not open with this key for this row") from error
