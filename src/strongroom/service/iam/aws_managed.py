"""The AWS managed policies this server knows (``arn:aws:iam::aws:policy/<name>``): attachable to users,
groups and roles and usable as permissions boundaries in every account, never changed or deleted.

The documents are the S3, KMS and IAM parts of AWS's own (actions for services this server does not
have are left out). Their versions and dates are fixed: they are part of the server, not of any account.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from .entities import ManagedPolicy

__all__ = ["AWS_ACCOUNT", "AWS_VERSION", "aws_managed_policy", "aws_managed_document", "aws_managed_policies"]

AWS_ACCOUNT = "aws"  # the account part of an AWS managed policy's ARN
AWS_VERSION = _VERSION = "v1"
_CREATED = 1_546_300_800.0  # 2019-01-01T00:00:00Z


def _allow(*actions: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}


# name -> (description, document)
_CATALOGUE: dict[str, tuple[str, dict[str, Any]]] = {
    "AdministratorAccess": ("Provides full access to AWS services and resources.", _allow("*")),
    "AmazonS3FullAccess": ("Provides full access to all buckets.", _allow("s3:*", "s3-object-lambda:*")),
    "AmazonS3ReadOnlyAccess": ("Provides read only access to all buckets.",
                               _allow("s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*")),
    "AWSKeyManagementServicePowerUser": ("Provides access to AWS Key Management Service (KMS).",
                                         _allow("kms:CreateAlias", "kms:CreateKey", "kms:DeleteAlias", "kms:Describe*", "kms:GenerateRandom",
                                                "kms:Get*", "kms:List*", "kms:TagResource", "kms:UntagResource")),
    "IAMFullAccess": ("Provides full access to IAM.", _allow("iam:*")),
    "IAMReadOnlyAccess": ("Provides read only access to IAM.", _allow("iam:Get*", "iam:List*")),
}


def _policy_id(name: str) -> str:
    """A stable unique id (ANPA...) of this server's copy of the policy (not AWS's id)."""
    digest = base64.b32encode(hashlib.sha256(f"aws-managed:{name}".encode()).digest()).decode()
    return "ANPA" + digest[:17]


def aws_managed_policy(name: str) -> ManagedPolicy | None:
    """The AWS managed policy of that name (None when this server does not know it)."""
    entry = _CATALOGUE.get(name)
    if entry is None:
        return None
    description, _ = entry
    return ManagedPolicy(AWS_ACCOUNT, name, _policy_id(name), "/", description, _VERSION, _CREATED, _CREATED)


def aws_managed_document(name: str) -> str:
    """The policy document of a known AWS managed policy."""
    return json.dumps(_CATALOGUE[name][1])


def aws_managed_policies() -> list[ManagedPolicy]:
    """Every AWS managed policy this server knows, by name."""
    return [p for p in (aws_managed_policy(n) for n in sorted(_CATALOGUE)) if p is not None]
