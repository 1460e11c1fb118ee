"""`strongroom kms ...`: the built-in KMS from the command line, acting on the data dir directly.

Each command acts for one account (`--account`, default the first account, "main") with an operator
grant, and prints JSON shaped like the AWS CLI's output for the same operation.
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime
from typing import Any

import click

from .grant import Grant
from .kms import lifecycle
from .kms.builtin import BuiltinKms, KeyState, KmsError, KmsKey

__all__ = ["kms"]


def _open(ctx: click.Context, account_name: str) -> tuple[BuiltinKms, Grant]:
    from .cli import _load
    from .server import open_runtime

    runtime = open_runtime(_load(ctx))
    account = runtime.services.accounts.get_account_sync(account_name)
    if account is None:
        raise click.ClickException(f"no account {account_name!r}")
    # Operator actions on the account's behalf: explicit and greppable, like a worker's grant.
    return runtime.services.kms, Grant.for_worker("kms-cli", account.account_id)


def _out(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


def _metadata(key: KmsKey) -> dict[str, Any]:
    data = {"KeyId": key.key_id, "Arn": key.arn, "Description": key.description, "KeyState": key.state.value, "Enabled": key.state is KeyState.ENABLED}
    if key.deletion_date is not None:
        data["DeletionDate"] = _iso(key.deletion_date)
    return data


def _iso(seconds: float) -> str:
    """A timestamp as the AWS CLI prints one (ISO 8601, UTC)."""
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()


def _context(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}") from None
    if not isinstance(parsed, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()):
        raise click.BadParameter("must be a JSON object of strings")
    return parsed


def _run(fn: Any) -> None:
    try:
        fn()
    except KmsError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None


_account = click.option("--account", "account_name", default="main", show_default=True, help="Account whose keys to use.")


@click.group()
def kms() -> None:
    """The built-in KMS: keys, aliases, encryption (the same operations as the KMS API)."""


@kms.command("create-key")
@_account
@click.option("--description", default="")
@click.pass_context
def create_key(ctx: click.Context, account_name: str, description: str) -> None:
    """Create a symmetric AES-256 key."""
    service, grant = _open(ctx, account_name)
    _run(lambda: _out({"KeyMetadata": _metadata(service.create_key(grant, description, {}))}))


@kms.command("list-keys")
@_account
@click.pass_context
def list_keys(ctx: click.Context, account_name: str) -> None:
    """List the account's keys."""
    service, grant = _open(ctx, account_name)
    keys, _ = service.list_keys(grant.account_id, 1000, None)
    _out({"Keys": [{"KeyId": k.key_id, "KeyArn": k.arn} for k in keys]})


@kms.command("describe-key")
@_account
@click.argument("key")
@click.pass_context
def describe_key(ctx: click.Context, account_name: str, key: str) -> None:
    """Describe a key (id, ARN or alias)."""
    service, grant = _open(ctx, account_name)
    _run(lambda: _out({"KeyMetadata": _metadata(service.resolve(grant.account_id, key))}))


@kms.command("enable-key")
@_account
@click.argument("key")
@click.pass_context
def enable_key(ctx: click.Context, account_name: str, key: str) -> None:
    """Enable a key."""
    service, grant = _open(ctx, account_name)
    _run(lambda: service.set_state(grant, service.resolve(grant.account_id, key), KeyState.ENABLED))


@kms.command("disable-key")
@_account
@click.argument("key")
@click.pass_context
def disable_key(ctx: click.Context, account_name: str, key: str) -> None:
    """Disable a key: nothing it protects can be read until it is enabled again."""
    service, grant = _open(ctx, account_name)
    _run(lambda: service.set_state(grant, service.resolve(grant.account_id, key), KeyState.DISABLED))


@kms.command("create-alias")
@_account
@click.argument("alias_name")
@click.argument("key")
@click.pass_context
def create_alias(ctx: click.Context, account_name: str, alias_name: str, key: str) -> None:
    """Point a new alias (alias/...) at a key."""
    service, grant = _open(ctx, account_name)
    _run(lambda: service.create_alias(grant, alias_name, service.resolve(grant.account_id, key)))


@kms.command("list-aliases")
@_account
@click.pass_context
def list_aliases(ctx: click.Context, account_name: str) -> None:
    """List the account's aliases."""
    service, grant = _open(ctx, account_name)
    aliases, _ = service.list_aliases(grant.account_id, None, 1000, None)
    _out({"Aliases": [{"AliasName": a.alias_name, "AliasArn": a.alias_arn, "TargetKeyId": a.key_id} for a in aliases]})


@kms.command("encrypt")
@_account
@click.argument("key")
@click.option("--encryption-context", "context", default=None, help="JSON object of strings.")
@click.pass_context
def encrypt(ctx: click.Context, account_name: str, key: str, context: str | None) -> None:
    """Encrypt standard input (at most 4096 bytes) under a key."""
    service, grant = _open(ctx, account_name)
    plaintext = sys.stdin.buffer.read(4097)
    if len(plaintext) > 4096:
        raise click.ClickException("plaintext is limited to 4096 bytes, as in AWS KMS")

    def run() -> None:
        target = service.resolve(grant.account_id, key)
        blob = service.encrypt(grant, target, plaintext, _context(context))
        _out({"CiphertextBlob": base64.b64encode(blob).decode(), "KeyId": target.arn})

    _run(run)


@kms.command("decrypt")
@_account
@click.argument("ciphertext_b64")
@click.option("--encryption-context", "context", default=None, help="JSON object of strings.")
@click.pass_context
def decrypt(ctx: click.Context, account_name: str, ciphertext_b64: str, context: str | None) -> None:
    """Decrypt a base64 ciphertext blob; the plaintext goes to standard output."""
    service, grant = _open(ctx, account_name)

    def run() -> None:
        blob = base64.b64decode(ciphertext_b64, validate=True)
        target = service.key_of_ciphertext(grant.account_id, blob)
        sys.stdout.buffer.write(service.decrypt(grant, target, blob, _context(context)))

    _run(run)


# -- key lifecycle: rotation and deletion -------------------------------------------------------------


@kms.command("enable-key-rotation")
@_account
@click.argument("key")
@click.option("--rotation-period-in-days", "period", default=lifecycle.ROTATION_PERIOD_DEFAULT_DAYS, show_default=True,
              type=click.IntRange(lifecycle.ROTATION_PERIOD_MIN_DAYS, lifecycle.ROTATION_PERIOD_MAX_DAYS))
@click.pass_context
def enable_key_rotation(ctx: click.Context, account_name: str, key: str, period: int) -> None:
    """Rotate a key's material automatically every period."""
    service, grant = _open(ctx, account_name)
    _run(lambda: service.enable_rotation(grant, service.resolve(grant.account_id, key), period))


@kms.command("disable-key-rotation")
@_account
@click.argument("key")
@click.pass_context
def disable_key_rotation(ctx: click.Context, account_name: str, key: str) -> None:
    """Stop rotating a key automatically (older material still decrypts)."""
    service, grant = _open(ctx, account_name)
    _run(lambda: service.disable_rotation(grant, service.resolve(grant.account_id, key)))


@kms.command("get-key-rotation-status")
@_account
@click.argument("key")
@click.pass_context
def get_key_rotation_status(ctx: click.Context, account_name: str, key: str) -> None:
    """Whether a key rotates automatically, its period and next rotation date."""
    service, grant = _open(ctx, account_name)

    def run() -> None:
        target = service.resolve(grant.account_id, key)
        status: dict[str, Any] = {"KeyRotationEnabled": target.rotation_period_days is not None, "KeyId": target.key_id}
        if target.rotation_period_days is not None and target.next_rotation is not None:
            status.update(RotationPeriodInDays=target.rotation_period_days, NextRotationDate=_iso(target.next_rotation))
        _out(status)

    _run(run)


@kms.command("rotate-key-on-demand")
@_account
@click.argument("key")
@click.pass_context
def rotate_key_on_demand(ctx: click.Context, account_name: str, key: str) -> None:
    """Make new material current now (at most 10 on-demand rotations per key)."""
    service, grant = _open(ctx, account_name)

    def run() -> None:
        target = service.resolve(grant.account_id, key)
        service.rotate_on_demand(grant, target)
        _out({"KeyId": target.key_id})

    _run(run)


@kms.command("list-key-rotations")
@_account
@click.argument("key")
@click.pass_context
def list_key_rotations(ctx: click.Context, account_name: str, key: str) -> None:
    """List a key's rotations, oldest first."""
    service, grant = _open(ctx, account_name)

    def run() -> None:
        target = service.resolve(grant.account_id, key)
        rotations, _ = service.list_rotations(target, False, 1000, None)
        _out({"Rotations": [
            {"KeyId": r.key_id, "RotationDate": _iso(r.rotation_date or 0), "RotationType": r.rotation_type.value if r.rotation_type else None}
            for r in rotations
        ]})

    _run(run)


@kms.command("schedule-key-deletion")
@_account
@click.argument("key")
@click.option("--pending-window-in-days", "window", default=lifecycle.PENDING_WINDOW_DEFAULT_DAYS, show_default=True,
              type=click.IntRange(lifecycle.PENDING_WINDOW_MIN_DAYS, lifecycle.PENDING_WINDOW_MAX_DAYS))
@click.pass_context
def schedule_key_deletion(ctx: click.Context, account_name: str, key: str, window: int) -> None:
    """Destroy a key after a waiting period; until then it is unusable and the deletion can be cancelled."""
    service, grant = _open(ctx, account_name)

    def run() -> None:
        pending = service.schedule_deletion(grant, service.resolve(grant.account_id, key), window)
        assert pending.deletion_date is not None
        _out({"KeyId": pending.arn, "DeletionDate": _iso(pending.deletion_date), "KeyState": pending.state.value, "PendingWindowInDays": window})

    _run(run)


@kms.command("cancel-key-deletion")
@_account
@click.argument("key")
@click.pass_context
def cancel_key_deletion(ctx: click.Context, account_name: str, key: str) -> None:
    """Keep a key pending deletion; it stays Disabled until enabled."""
    service, grant = _open(ctx, account_name)

    def run() -> None:
        target = service.resolve(grant.account_id, key)
        service.cancel_deletion(grant, target)
        _out({"KeyId": target.arn})

    _run(run)


@kms.command("events")
@click.option("--since", default=None, help="Only events at or after this ISO 8601 time (UTC unless it says otherwise).")
@click.option("--key", "key_ref", default=None, help="Only events of this key (key id or ARN).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many events.")
@click.option("--follow", is_flag=True, help="Keep printing events as they are appended (Ctrl-C stops).")
@click.pass_context
def events(ctx: click.Context, since: str | None, key_ref: str | None, limit: int | None, follow: bool) -> None:
    """Print KMS audit events (JSON lines, oldest first) from the audit trail."""
    from .cli import _load
    from .observe.audit import follow_events, parse_time, read_events

    try:
        start = parse_time(since) if since else None
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {since!r}", param_hint="--since") from None
    path = _load(ctx).audit_log_path
    found = follow_events(path, since=start, key=key_ref, limit=limit) if follow else read_events(path, since=start, key=key_ref, limit=limit)
    for event in found:
        click.echo(json.dumps(event, separators=(",", ":")))
