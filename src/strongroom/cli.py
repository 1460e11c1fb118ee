"""The `strongroom` command: run the server (HTTP, HTTPS or both), make dev certificates, manage accounts, users and keys, simulate policies."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from .config import Settings, load_settings

__all__ = ["main"]

_RESOLVED_ENV = "STRONGROOM_RESOLVED_SETTINGS_JSON"
_METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's multiprocess mode


def app_factory() -> Any:
    """uvicorn factory: each worker process rebuilds the app from the settings the CLI resolved."""
    from .server import build_app

    settings = Settings.model_validate_json(os.environ[_RESOLVED_ENV])
    return build_app(settings)


def _settings(ctx: click.Context) -> Settings:
    obj: Settings = ctx.obj
    return obj


@click.group()
@click.option("--config", "config_file", type=click.Path(path_type=Path, exists=True, dir_okay=False), envvar="STRONGROOM_CONFIG", help="TOML or YAML settings file.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="Where metadata, blobs and the root key live.")
@click.pass_context
def main(ctx: click.Context, config_file: Path | None, data_dir: Path | None) -> None:
    """Strongroom: a security-first, S3-compatible object store."""
    ctx.ensure_object(dict)
    ctx.meta["config_file"] = config_file
    ctx.meta["data_dir"] = data_dir


def _load(ctx: click.Context, **overrides: Any) -> Settings:
    root = ctx.find_root()
    return load_settings(root.meta.get("config_file"), data_dir=overrides.pop("data_dir", None) or root.meta.get("data_dir"), **overrides)


@main.command()
@click.option("--host", default=None, help="Listen address (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Listen port (default 9000); HTTPS when --tls-cert is given without --tls-port.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None)
@click.option("--workers", type=int, default=None, help="Worker processes (default 1).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None)
@click.option("--tls-cert", type=click.Path(path_type=Path), default=None, help="PEM certificate (chain) for HTTPS.")
@click.option("--tls-key", type=click.Path(path_type=Path), default=None, help="PEM private key (unencrypted) for HTTPS.")
@click.option("--tls-port", type=int, default=None, help="Serve HTTPS on this port beside HTTP on --port (one process).")
@click.pass_context
def server(
    ctx: click.Context, host: str | None, port: int | None, data_dir: Path | None, workers: int | None, config_file: Path | None,
    tls_cert: Path | None, tls_key: Path | None, tls_port: int | None,
) -> None:
    """Run the S3 server (uvicorn, uvloop, httptools), over HTTP, HTTPS or both."""
    import logging

    import uvicorn
    from pydantic import ValidationError

    from .tls import TLSConfigError, server_context

    if config_file is not None:
        ctx.find_root().meta["config_file"] = config_file
    try:
        settings = _load(ctx, host=host, port=port, data_dir=data_dir, workers=workers, tls_cert=tls_cert, tls_key=tls_key, tls_port=tls_port)
    except ValidationError as exc:
        raise click.ClickException(_validation_message(exc)) from None
    update: dict[str, Any] = {"data_dir": settings.data_dir.resolve()}
    if settings.tls_cert is not None and settings.tls_key is not None:
        update.update(tls_cert=settings.tls_cert.resolve(), tls_key=settings.tls_key.resolve())
        try:  # validated here, before anything starts: a clear message, not a worker's stack trace
            server_context(update["tls_cert"], update["tls_key"])
        except TLSConfigError as exc:
            raise click.ClickException(str(exc)) from None
    settings = settings.model_copy(update=update)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _shared_metrics_dir(settings.data_dir)
    from .server import ensure_root_account, open_runtime  # after: it imports prometheus-client

    logging.basicConfig(level=settings.log_level.upper() if settings.log_level != "trace" else "DEBUG", format="%(asctime)s %(levelname)s %(name)s %(message)s")
    runtime = open_runtime(settings)
    created = ensure_root_account(runtime)
    runtime.meta.close()
    if created is not None and not settings.root_secret_key:
        acct = created.principal.account
        click.echo(f"Created account {acct.name!r} (id {acct.account_id}).")
        click.echo(f"Root access key: {created.access_key_id}")
        click.echo(f"Root secret key: {created.secret}  (shown once; keep it safe)")
    os.environ[_RESOLVED_ENV] = settings.model_dump_json()
    options: dict[str, Any] = {
        "loop": "uvloop",
        "http": "httptools",
        "log_level": settings.log_level,
        "access_log": False,
        "server_header": False,
        "date_header": True,
        "timeout_keep_alive": 30,
        # The scheme (S3Request.secure) and client address come from the connection itself; a client's
        # X-Forwarded-Proto must not turn plain HTTP into "secure".
        "proxy_headers": False,
    }
    if settings.tls_port is not None:
        _serve_side_by_side(settings, options)
        return
    uvicorn.run(
        "strongroom.cli:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        lifespan="on",
        ssl_context_factory=_ssl_factory(settings),
        **options,
    )


def _shared_metrics_dir(data_dir: Path) -> None:
    """Point every worker process at one fresh directory for its counters (observe/metrics.py).

    Must run before anything imports prometheus-client. The directory is <data_dir>/run/metrics-<pid>
    of this (parent) process; those of processes no longer alive are removed first, since uvicorn
    ends a stopped server by re-raising the signal, past any cleanup of ours.
    """
    if os.environ.get(_METRICS_ENV):
        return
    run = data_dir / "run"
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in run.glob("metrics-*"):
        pid = stale.name.removeprefix("metrics-")
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    directory = run / f"metrics-{os.getpid()}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700)
    os.environ[_METRICS_ENV] = str(directory)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _validation_message(exc: Any) -> str:
    """pydantic's errors as one line per setting, for the operator."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "invalid settings: " + "; ".join(lines)


def _ssl_factory(settings: Settings) -> Any:
    """uvicorn's ssl_context_factory for the configured cert and key (picklable for worker processes)."""
    import functools

    from .tls import context_factory

    if settings.tls_cert is None or settings.tls_key is None:
        return None
    return functools.partial(context_factory, str(settings.tls_cert), str(settings.tls_key))


def _serve_side_by_side(settings: Settings, options: dict[str, Any]) -> None:
    """HTTP on settings.port and HTTPS on settings.tls_port: two uvicorn servers, one app, one event loop.

    The app's lifespan runs once around both; SIGINT/SIGTERM stop both (a second SIGINT forces exit).
    """
    import asyncio
    import signal

    import uvicorn
    from uvicorn.lifespan.on import LifespanOn

    from .server import build_app

    class _Sibling(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # the loop's handlers below stop every sibling
            yield

    app = build_app(settings)
    plain = uvicorn.Config(app, host=settings.host, port=settings.port, lifespan="off", **options)
    secure = uvicorn.Config(app, host=settings.host, port=settings.tls_port or 0, lifespan="off", ssl_context_factory=_ssl_factory(settings), **options)
    # Both ports are bound before anything starts: a busy port is one logged line and exit code 3.
    sockets = [plain.bind_socket(), secure.bind_socket()]
    servers = [_Sibling(plain), _Sibling(secure)]

    def stop() -> None:
        for s in servers:
            s.force_exit = s.should_exit
            s.should_exit = True

    async def run() -> bool:
        plain.load()
        lifespan = LifespanOn(plain)
        await lifespan.startup()
        if lifespan.should_exit:
            return False
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            await asyncio.gather(*(s.serve(sockets=[sock]) for s, sock in zip(servers, sockets, strict=True)))
        finally:
            await lifespan.shutdown()
        return all(s.started for s in servers)

    with asyncio.Runner(loop_factory=plain.get_loop_factory()) as runner:
        if not runner.run(run()):
            sys.exit(3)  # uvicorn's STARTUP_FAILURE


@main.command("dev-cert")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--force", is_flag=True, help="Replace existing files.")
def dev_cert(directory: Path, force: bool) -> None:
    """Create a local CA and a certificate for localhost, 127.0.0.1 and ::1 (development only)."""
    from .tls import DEV_CERT_VALIDITY_DAYS, create_dev_cert

    try:
        out = create_dev_cert(directory, force=force)
    except FileExistsError as exc:
        raise click.ClickException(f"already there: {exc}; pass --force to replace them") from None
    click.echo(f"CA certificate:     {out.ca_cert}")
    click.echo(f"CA key:             {out.ca_key}  (mode 0600)")
    click.echo(f"Server certificate: {out.server_cert}  (localhost, 127.0.0.1, ::1; {DEV_CERT_VALIDITY_DAYS} days)")
    click.echo(f"Server key:         {out.server_key}  (mode 0600)")
    click.echo("")
    click.echo("Serve HTTPS (add --tls-port 9443 to keep HTTP on --port beside it):")
    click.echo(f"  strongroom server --tls-cert {out.server_cert} --tls-key {out.server_key}")
    click.echo("Trust the CA in clients:")
    click.echo(f"  export AWS_CA_BUNDLE={out.ca_cert}   # AWS CLI and SDKs")
    click.echo(f"  boto3.client('s3', endpoint_url='https://localhost:9000', verify='{out.ca_cert}')")


@main.group()
def admin() -> None:
    """Manage accounts, users, access keys, groups, policies and roles (works on the data dir directly)."""


def _runtime(ctx: click.Context) -> Any:
    from .server import open_runtime

    return open_runtime(_load(ctx))


@admin.group()
def account() -> None:
    """Accounts."""


@account.command("add")
@click.argument("name")
@click.option("--account-id", default=None, help="A fixed 12-digit id (default: random).")
@click.option("--access-key", default=None)
@click.option("--secret-key", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def account_add(ctx: click.Context, name: str, account_id: str | None, access_key: str | None, secret_key: str | None, as_json: bool) -> None:
    """Create an account and its root access key."""
    from .service.accounts import AccountExists

    runtime = _runtime(ctx)
    accounts = runtime.services.accounts
    try:
        acct = accounts.create_account_sync(name, account_id)
    except AccountExists:
        raise click.ClickException(f"account {name!r} already exists") from None
    key = accounts.create_key_sync(acct, None, access_key, secret_key)
    _print(as_json, {"account_id": acct.account_id, "name": acct.name, "canonical_id": acct.canonical_id, "access_key": key.access_key_id, "secret_key": key.secret})


@account.command("list")
@click.pass_context
def account_list(ctx: click.Context) -> None:
    """List accounts."""
    for a in _runtime(ctx).services.accounts.list_accounts_sync():
        click.echo(f"{a.account_id}\t{a.name}\t{a.canonical_id}")


@admin.group()
def user() -> None:
    """Users of an account."""


@user.command("add")
@click.argument("account_name")
@click.argument("user_name")
@click.option("--path", default="/", show_default=True, help="The user's IAM path (part of its ARN).")
@click.pass_context
def user_add(ctx: click.Context, account_name: str, user_name: str, path: str) -> None:
    """Add a user to an account (an IAM user: it may do what its identity policies allow); prints its ARN."""
    from .errors import S3Error
    from .grant import Grant
    from .service.iam.names import check_name, check_path

    runtime = _runtime(ctx)
    acct = _account(runtime, account_name)
    try:
        check_name("user", user_name, "userName")
        created = runtime.services.iam.users.create(Grant.for_worker("iam-cli", acct.account_id), acct.account_id, user_name, check_path(path))
    except S3Error as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    click.echo(created.arn)


@admin.group()
def key() -> None:
    """Access keys."""


@key.command("create")
@click.argument("account_name")
@click.option("--user", "user_name", default=None, help="A user of the account (default: the account root).")
@click.option("--access-key", default=None)
@click.option("--secret-key", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def key_create(ctx: click.Context, account_name: str, user_name: str | None, access_key: str | None, secret_key: str | None, as_json: bool) -> None:
    """Create an access key (the secret is shown once)."""
    runtime = _runtime(ctx)
    acct = _account(runtime, account_name)
    try:
        k = runtime.services.accounts.create_key_sync(acct, user_name, access_key, secret_key)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    _print(as_json, {"access_key": k.access_key_id, "secret_key": k.secret, "arn": k.principal.arn})


@key.command("list")
@click.argument("account_name")
@click.pass_context
def key_list(ctx: click.Context, account_name: str) -> None:
    """List an account's access keys (never their secrets)."""
    runtime = _runtime(ctx)
    for key_id, user_name, status in runtime.services.accounts.list_keys_sync(_account(runtime, account_name)):
        click.echo(f"{key_id}\t{user_name or '(root)'}\t{status}")


@key.command("delete")
@click.argument("access_key_id")
@click.pass_context
def key_delete(ctx: click.Context, access_key_id: str) -> None:
    """Delete an access key."""
    if not _runtime(ctx).services.accounts.delete_key_sync(access_key_id):
        raise click.ClickException(f"no access key {access_key_id}")


@admin.command("sweep")
@click.option("--grace-seconds", type=float, default=None, help="Only blobs older than this are orphans.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def sweep(ctx: click.Context, grace_seconds: float | None, as_json: bool) -> None:
    """Delete garbage and orphaned blobs now."""
    from .workers.sweeper import Sweeper

    runtime = _runtime(ctx)
    report = Sweeper(runtime.storage, runtime.settings.orphan_grace_seconds).sweep_sync(grace_seconds)
    _print(as_json, {"garbage": str(report.garbage), "orphans": str(report.orphans), "temporary": str(report.temporary)})


@admin.command("rotate-root-key")
@click.option("--grace-seconds", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="Wait after adding the new key, so seals under the old one have committed.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rotate_root_key_command(ctx: click.Context, grace_seconds: float, as_json: bool) -> None:
    """Replace the root key, rewrapping every row it seals (online: running servers keep serving).

    Every process using the data dir must read the same root key file. Blobs are not touched.
    """
    from .meta.engine import MetaStore
    from .service.root_rotation import rotate_root_key

    settings = _load(ctx)
    if not settings.root_key_path.exists():
        raise click.ClickException(f"no root key file at {settings.root_key_path}")
    meta = MetaStore(settings.metadata_url)
    try:
        report = rotate_root_key(settings.root_key_path, meta, grace_seconds)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        meta.close()
    summary = {
        "new_root_key_id": report.new_key_id,
        "removed_root_key_ids": ",".join(report.old_key_ids),
        "resumed": str(report.resumed).lower(),
        **{f"rewrapped {name}": str(count) for name, count in report.rewrapped.items()},
        **{f"unreadable {name}": str(count) for name, count in report.unreadable.items()},
    }
    _print(as_json, summary)


def _account(runtime: Any, name: str) -> Any:
    acct = runtime.services.accounts.get_account_sync(name)
    if acct is None:
        raise click.ClickException(f"no account {name!r}")
    return acct


def _print(as_json: bool, data: dict[str, str]) -> None:
    if as_json:
        click.echo(json.dumps(data))
    else:
        for k, v in data.items():
            click.echo(f"{k}: {v}")


def _register_subcommands() -> None:
    from .cli_iam import register_iam_commands
    from .cli_kms import kms
    from .cli_policy import policy

    main.add_command(kms)
    main.add_command(policy)
    register_iam_commands(admin, user, key)


_register_subcommands()


if __name__ == "__main__":
    sys.exit(main())
