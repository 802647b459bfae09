"""Sealing personal data at rest: SM4-GCM encryption and a keyed SM3 blind index.

A copied database reveals no identity: ID numbers and phones are stored only as ciphertext,
and exact-match search uses HMAC-SM3 of the normalised value under a separate key.
"""

from __future__ import annotations

import base64
import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

_PREFIX = "s1:"


class SealError(ValueError):
    """A sealed value could not be opened (wrong key or tampered data)."""


@functools.cache
def _keys(seal_key_hex: str) -> tuple[bytes, bytes]:
    raw = bytes.fromhex(seal_key_hex)
    if len(raw) < 32:
        raise ValueError("SHANZHI_SEAL_KEY must be at least 32 bytes of hex")
    return raw[:16], raw[16:32]


def _enc_key() -> bytes:
    return _keys(settings.SEAL_KEY)[0]


def _mac_key() -> bytes:
    return _keys(settings.SEAL_KEY)[1]


def seal(plain: str) -> str:
    """Encrypt with SM4-GCM under a fresh 96-bit nonce; '' stays ''."""
    if not plain:
        return ""
    nonce = os.urandom(12)
    enc = Cipher(algorithms.SM4(_enc_key()), modes.GCM(nonce)).encryptor()
    body = enc.update(plain.encode()) + enc.finalize()
    return _PREFIX + base64.b64encode(nonce + body + enc.tag).decode()


def unseal(token: str) -> str:
    if not token:
        return ""
    if not token.startswith(_PREFIX):
        raise SealError("unknown seal format")
    raw = base64.b64decode(token[len(_PREFIX):])
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    dec = Cipher(algorithms.SM4(_enc_key()), modes.GCM(nonce, tag)).decryptor()
    try:
        return (dec.update(body) + dec.finalize()).decode()
    except InvalidTag as exc:
        raise SealError("sealed value failed its integrity check") from exc


def blind_index(purpose: str, normalised: str) -> str:
    """HMAC-SM3 over 'purpose:value', hex; '' for an empty value."""
    if not normalised:
        return ""
    mac = hmac.HMAC(_mac_key(), hashes.SM3())
    mac.update(f"{purpose}:{normalised}".encode())
    return mac.finalize().hex()
