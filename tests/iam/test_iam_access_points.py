"""A user through an access point: its identity policy names the access point's ARN, the bucket policy
delegates to the account's access points, and the user reads through the alias and nowhere else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ServerInfo, make_control_client
from iamclients import allow, code, doc, iam_fixtures, new_user, unique

iam, raw, account_id = iam_fixtures()


def test_a_user_reads_through_the_access_point_its_policy_names(iam: Any, server: ServerInfo, s3: Any, account_id: str) -> None:
    bucket, name = unique("iam-ap"), unique("ap")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"doc")
    point = make_control_client(server.endpoint).create_access_point(AccountId=account_id, Name=name, Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": account_id}}}]}))
    user = new_user(iam, server.endpoint)
    with pytest.raises(ClientError) as exc:  # no identity policy: the access point's side refuses
        user.s3.get_object(Bucket=point["Alias"], Key="doc.txt")
    assert code(exc) == ("AccessDenied", 403)
    iam.put_user_policy(UserName=user.name, PolicyName="ap", PolicyDocument=doc(allow("s3:GetObject", f"{point['AccessPointArn']}/object/*")))
    assert user.s3.get_object(Bucket=point["Alias"], Key="doc.txt")["Body"].read() == b"doc"
    for call in (lambda: user.s3.get_object(Bucket=bucket, Key="doc.txt"),  # not through the access point
                 lambda: user.s3.put_object(Bucket=point["Alias"], Key="x", Body=b"x")):  # not an allowed action
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("AccessDenied", 403)
