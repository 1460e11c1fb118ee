"""The KMS operation table: X-Amz-Target operation name -> IAM action and handler, one row each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from . import aliases, encryption, keys, policies, rotation, tags
from .context import KmsContext
from .params import Params

__all__ = ["KmsOperation", "KMS_OPERATIONS", "TARGET_PREFIX"]

TARGET_PREFIX = "TrentService."

KmsHandler = Callable[[Params, KmsContext], Awaitable["dict[str, object] | None"]]


@dataclass(frozen=True, slots=True)
class KmsOperation:
    """One KMS operation: its AWS name, IAM action and handler."""

    name: str
    action: str
    handler: KmsHandler


def _row(name: str, handler: KmsHandler) -> tuple[str, KmsOperation]:
    return name, KmsOperation(name, f"kms:{name}", handler)


KMS_OPERATIONS: Mapping[str, KmsOperation] = dict(
    [
        _row("CreateKey", keys.create_key),
        _row("DescribeKey", keys.describe_key),
        _row("ListKeys", keys.list_keys),
        _row("EnableKey", keys.enable_key),
        _row("DisableKey", keys.disable_key),
        _row("CreateAlias", aliases.create_alias),
        _row("UpdateAlias", aliases.update_alias),
        _row("DeleteAlias", aliases.delete_alias),
        _row("ListAliases", aliases.list_aliases),
        _row("Encrypt", encryption.encrypt),
        _row("Decrypt", encryption.decrypt),
        _row("ReEncrypt", encryption.re_encrypt),  # kms:ReEncryptFrom / kms:ReEncryptTo, per key
        _row("GenerateDataKey", encryption.generate_data_key),
        _row("GenerateDataKeyWithoutPlaintext", encryption.generate_data_key_without_plaintext),
        _row("GenerateRandom", encryption.generate_random),
        _row("TagResource", tags.tag_resource),
        _row("UntagResource", tags.untag_resource),
        _row("ListResourceTags", tags.list_resource_tags),
        _row("EnableKeyRotation", rotation.enable_key_rotation),
        _row("DisableKeyRotation", rotation.disable_key_rotation),
        _row("GetKeyRotationStatus", rotation.get_key_rotation_status),
        _row("RotateKeyOnDemand", rotation.rotate_key_on_demand),
        _row("ListKeyRotations", rotation.list_key_rotations),
        _row("ScheduleKeyDeletion", keys.schedule_key_deletion),
        _row("CancelKeyDeletion", keys.cancel_key_deletion),
        _row("GetKeyPolicy", policies.get_key_policy),
        _row("PutKeyPolicy", policies.put_key_policy),
        _row("ListKeyPolicies", policies.list_key_policies),
    ]
)
