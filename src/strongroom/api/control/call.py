"""What an S3 Control handler gets: the request, the services, the grant, the account and path parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...grant import Grant
from ..context import Services
from ..request import S3Request

__all__ = ["ControlCall", "CONTROL_XMLNS"]

CONTROL_XMLNS = "http://awss3control.amazonaws.com/doc/2018-08-20/"


@dataclass(frozen=True, slots=True)
class ControlCall:
    """One authorised S3 Control request."""

    req: S3Request
    services: Services
    grant: Grant
    account_id: str
    params: Mapping[str, str]
