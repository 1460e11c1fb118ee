"""Cryptographic handlers: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom.

Limits as the KMS API reference states them: Plaintext 1-4096 bytes, CiphertextBlob 1-6144 bytes,
NumberOfBytes 1-1024; only SYMMETRIC_DEFAULT encryption.
"""

from __future__ import annotations

import base64

from ...errors import S3Error
from ...kms.builtin import KmsKey
from .context import KmsContext
from .keys import SYMMETRIC_DEFAULT
from .params import Params

__all__ = ["encrypt", "decrypt", "re_encrypt", "generate_data_key", "generate_data_key_without_plaintext", "generate_random"]

PLAINTEXT_MAX_BYTES = 4096
CIPHERTEXT_MAX_BYTES = 6144
RANDOM_MAX_BYTES = 1024
_KEY_SPEC_BYTES = {"AES_256": 32, "AES_128": 16}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_algorithm(p: Params, name: str = "EncryptionAlgorithm") -> None:
    algorithm = p.optional_string(name)
    if algorithm is not None and algorithm != SYMMETRIC_DEFAULT:
        raise S3Error("InvalidKeyUsageException", f"{algorithm} is not valid for a symmetric encryption KMS key.")


async def _ciphertext_key(p: Params, ctx: KmsContext, blob: bytes, key_member: str) -> KmsKey:
    """The key a ciphertext names; if the caller named one too, it must be that key."""
    key = await ctx.key_of_ciphertext(blob)
    ref = p.optional_string(key_member)
    if ref is not None and (await ctx.resolve(ref)).key_id != key.key_id:
        raise S3Error("IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation.")
    return key


async def encrypt(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """Encrypt: up to 4 KiB under a key, bound to the encryption context."""
    ref = p.string("KeyId")
    plaintext = p.blob("Plaintext", PLAINTEXT_MAX_BYTES)
    context = p.string_map("EncryptionContext")
    _check_algorithm(p)
    key = await ctx.resolve(ref)
    blob = await ctx.run(ctx.kms.encrypt, ctx.authorize(key, encryption_context=context), key, plaintext, context)
    return {"CiphertextBlob": _b64(blob), "KeyId": key.arn, "EncryptionAlgorithm": SYMMETRIC_DEFAULT}


async def decrypt(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """Decrypt: the blob names its key; the same encryption context must be given."""
    blob = p.blob("CiphertextBlob", CIPHERTEXT_MAX_BYTES)
    context = p.string_map("EncryptionContext")
    _check_algorithm(p)
    key = await _ciphertext_key(p, ctx, blob, "KeyId")
    plaintext = await ctx.run(ctx.kms.decrypt, ctx.authorize(key, encryption_context=context), key, blob, context)
    return {"KeyId": key.arn, "Plaintext": _b64(plaintext), "EncryptionAlgorithm": SYMMETRIC_DEFAULT}


async def re_encrypt(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """ReEncrypt: decrypt under the source key and encrypt under the destination, server-side."""
    blob = p.blob("CiphertextBlob", CIPHERTEXT_MAX_BYTES)
    source_context = p.string_map("SourceEncryptionContext")
    destination_context = p.string_map("DestinationEncryptionContext")
    _check_algorithm(p, "SourceEncryptionAlgorithm")
    _check_algorithm(p, "DestinationEncryptionAlgorithm")
    destination = await ctx.resolve(p.string("DestinationKeyId"))
    source = await _ciphertext_key(p, ctx, blob, "SourceKeyId")
    from_grant = ctx.authorize(source, "kms:ReEncryptFrom", encryption_context=source_context)
    to_grant = ctx.authorize(destination, "kms:ReEncryptTo", encryption_context=destination_context)
    plaintext = await ctx.run(ctx.kms.decrypt, from_grant, source, blob, source_context)
    new_blob = await ctx.run(ctx.kms.encrypt, to_grant, destination, plaintext, destination_context)
    return {
        "CiphertextBlob": _b64(new_blob),
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": SYMMETRIC_DEFAULT,
        "DestinationEncryptionAlgorithm": SYMMETRIC_DEFAULT,
    }


def _data_key_size(p: Params) -> int:
    """Exactly one of KeySpec (AES_256, AES_128) and NumberOfBytes (1-1024)."""
    spec = p.optional_string("KeySpec")
    size = p.optional_integer("NumberOfBytes", 1, RANDOM_MAX_BYTES)
    if (spec is None) == (size is None):
        raise S3Error("ValidationException", "Please specify either number of bytes or key spec.")
    if spec is not None:
        if spec not in _KEY_SPEC_BYTES:
            raise S3Error("ValidationException", f"1 validation error detected: Value '{spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]")
        return _KEY_SPEC_BYTES[spec]
    assert size is not None
    return size


async def _generate(p: Params, ctx: KmsContext) -> tuple[KmsKey, bytes, bytes]:
    ref = p.string("KeyId")
    size = _data_key_size(p)
    context = p.string_map("EncryptionContext")
    key = await ctx.resolve(ref)
    plaintext, blob = await ctx.run(ctx.kms.generate_data_key_bytes, ctx.authorize(key, encryption_context=context), key, size, context)
    return key, plaintext, blob


async def generate_data_key(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """GenerateDataKey: a fresh data key, in the clear and encrypted under the KMS key."""
    key, plaintext, blob = await _generate(p, ctx)
    return {"CiphertextBlob": _b64(blob), "Plaintext": _b64(plaintext), "KeyId": key.arn}


async def generate_data_key_without_plaintext(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """GenerateDataKeyWithoutPlaintext: only the encrypted copy of a fresh data key."""
    key, _plaintext, blob = await _generate(p, ctx)
    return {"CiphertextBlob": _b64(blob), "KeyId": key.arn}


async def generate_random(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """GenerateRandom: 1-1024 bytes from the server's CSPRNG."""
    if p.optional_string("CustomKeyStoreId") is not None:
        raise S3Error("UnsupportedOperationException", "Custom key stores are not supported.")
    size = p.optional_integer("NumberOfBytes", 1, RANDOM_MAX_BYTES)
    if size is None:
        raise S3Error("ValidationException", "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null")
    ctx.authorize(None)
    return {"Plaintext": _b64(ctx.kms.generate_random(size))}
