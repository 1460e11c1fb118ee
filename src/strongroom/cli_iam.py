"""`strongroom admin ...` for IAM identities: users, groups, managed and inline policies, attachments,
roles and permissions boundaries, through the same service layer as the IAM API (service/iam/).

Each command acts in one account (its name or id, the first argument) with an operator grant, on the
data dir directly. IAM's errors (NoSuchEntity, DeleteConflict, ...) are printed as "Code: message".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import S3Error
from .grant import Grant

__all__ = ["register_iam_commands"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Scope:
    """The IAM store, the account acted in and the operator's grant for it."""

    iam: Any
    account_id: str
    grant: Grant


def _scope(ctx: click.Context, account_name: str) -> _Scope:
    from .cli import _account, _runtime

    runtime = _runtime(ctx)
    account = _account(runtime, account_name)
    # Operator actions on the account's behalf: explicit and greppable, like a worker's grant.
    return _Scope(runtime.services.iam, account.account_id, Grant.for_worker("iam-cli", account.account_id))


@contextmanager
def _iam_errors() -> Iterator[None]:
    try:
        yield
    except S3Error as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None


def _run(fn: Callable[[], T]) -> T:
    with _iam_errors():
        return fn()


def _document(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _echo(data: object) -> None:
    click.echo(json.dumps(data, indent=2))


_account_arg = click.argument("account_name")
_file_arg = click.argument("document", type=click.Path(path_type=Path, exists=True, dir_okay=False))


def _entity_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--user/--group/--role NAME: exactly one names what a policy hangs off."""
    for kind in ("role", "group", "user"):
        fn = click.option(f"--{kind}", f"{kind}_name", default=None, help=f"The {kind} the policy belongs to.")(fn)
    return fn


def _entity(user_name: str | None, group_name: str | None, role_name: str | None) -> tuple[Any, str]:
    from .service.iam import EntityKind

    chosen = [(k, n) for k, n in ((EntityKind.USER, user_name), (EntityKind.GROUP, group_name), (EntityKind.ROLE, role_name)) if n]
    if len(chosen) != 1:
        raise click.UsageError("name exactly one of --user, --group or --role")
    return chosen[0]


def _user_commands(user: click.Group) -> None:
    @user.command("list")
    @_account_arg
    @click.pass_context
    def user_list(ctx: click.Context, account_name: str) -> None:
        """List an account's users (name, ARN, boundary)."""
        s = _scope(ctx, account_name)
        for u in s.iam.users.list_in(s.account_id):
            click.echo(f"{u.name}\t{u.arn}\t{u.boundary_arn or '-'}")

    @user.command("delete")
    @_account_arg
    @click.argument("user_name")
    @click.pass_context
    def user_delete(ctx: click.Context, account_name: str, user_name: str) -> None:
        """Delete a user with nothing attached (keys, policies and groups go first)."""
        s = _scope(ctx, account_name)
        _run(lambda: s.iam.users.delete(s.grant, s.account_id, user_name))

    @user.command("boundary")
    @_account_arg
    @click.argument("user_name")
    @click.argument("policy_arn", required=False)
    @click.pass_context
    def user_boundary(ctx: click.Context, account_name: str, user_name: str, policy_arn: str | None) -> None:
        """Set the user's permissions boundary to a managed policy (no ARN: remove it)."""
        s = _scope(ctx, account_name)
        _run(lambda: s.iam.users.set_boundary(s.grant, s.account_id, user_name, policy_arn))


def _group_commands(admin: click.Group) -> None:
    @admin.group()
    def group() -> None:
        """Groups of users."""

    @group.command("create")
    @_account_arg
    @click.argument("group_name")
    @click.option("--path", default="/", show_default=True)
    @click.pass_context
    def group_create(ctx: click.Context, account_name: str, group_name: str, path: str) -> None:
        """Create a group."""
        s = _scope(ctx, account_name)
        click.echo(_run(lambda: s.iam.groups.create(s.grant, s.account_id, group_name, path)).arn)

    @group.command("list")
    @_account_arg
    @click.pass_context
    def group_list(ctx: click.Context, account_name: str) -> None:
        """List groups with their members."""
        s = _scope(ctx, account_name)
        for g in s.iam.groups.list_in(s.account_id):
            members = s.iam.groups.get(s.account_id, g.name)[1]
            click.echo(f"{g.name}\t{g.arn}\t{','.join(u.name for u in members) or '-'}")

    @group.command("delete")
    @_account_arg
    @click.argument("group_name")
    @click.pass_context
    def group_delete(ctx: click.Context, account_name: str, group_name: str) -> None:
        """Delete an empty group without policies."""
        s = _scope(ctx, account_name)
        _run(lambda: s.iam.groups.delete(s.grant, s.account_id, group_name))

    for verb, method in (("add-user", "add_user"), ("remove-user", "remove_user")):
        @group.command(verb)
        @_account_arg
        @click.argument("group_name")
        @click.argument("user_name")
        @click.pass_context
        def membership(ctx: click.Context, account_name: str, group_name: str, user_name: str, _method: str = method) -> None:
            """Add a user to a group, or remove one."""
            s = _scope(ctx, account_name)
            _run(lambda: getattr(s.iam.groups, _method)(s.grant, s.account_id, group_name, user_name))


def _policy_commands(admin: click.Group) -> None:
    @admin.group("policy")
    def policy() -> None:
        """Managed and inline identity policies, and attachments."""

    @policy.command("create")
    @_account_arg
    @click.argument("policy_name")
    @_file_arg
    @click.option("--path", default="/", show_default=True)
    @click.option("--description", default=None)
    @click.pass_context
    def policy_create(ctx: click.Context, account_name: str, policy_name: str, document: Path, path: str, description: str | None) -> None:
        """Create a managed policy from a JSON file; prints its ARN."""
        s = _scope(ctx, account_name)
        click.echo(_run(lambda: s.iam.managed.create(s.grant, s.account_id, policy_name, path, _document(document), description)).arn)

    @policy.command("list")
    @_account_arg
    @click.pass_context
    def policy_list(ctx: click.Context, account_name: str) -> None:
        """List managed policies (ARN, default version, attachments)."""
        s = _scope(ctx, account_name)
        for p in s.iam.managed.list_in(s.account_id):
            click.echo(f"{p.arn}\t{p.default_version}\t{p.attachment_count}")

    @policy.command("delete")
    @_account_arg
    @click.argument("policy_arn")
    @click.pass_context
    def policy_delete(ctx: click.Context, account_name: str, policy_arn: str) -> None:
        """Delete a detached managed policy."""
        s = _scope(ctx, account_name)
        _run(lambda: s.iam.managed.delete(s.grant, s.account_id, policy_arn))

    for verb, method in (("attach", "attach"), ("detach", "detach")):
        @policy.command(verb)
        @_account_arg
        @click.argument("policy_arn")
        @_entity_options
        @click.pass_context
        def attachment(ctx: click.Context, account_name: str, policy_arn: str, user_name: str | None, group_name: str | None,
                       role_name: str | None, _method: str = method) -> None:
            """Attach a managed policy to a user, group or role, or detach it."""
            s = _scope(ctx, account_name)
            kind, name = _entity(user_name, group_name, role_name)
            _run(lambda: getattr(s.iam.attachments, _method)(s.grant, s.account_id, kind, name, policy_arn))

    @policy.command("put-inline")
    @_account_arg
    @click.argument("policy_name")
    @_file_arg
    @_entity_options
    @click.pass_context
    def put_inline(ctx: click.Context, account_name: str, policy_name: str, document: Path, user_name: str | None, group_name: str | None,
                   role_name: str | None) -> None:
        """Create or replace an inline policy of a user, group or role from a JSON file."""
        s = _scope(ctx, account_name)
        kind, name = _entity(user_name, group_name, role_name)
        _run(lambda: s.iam.inline.put(s.grant, s.account_id, kind, name, policy_name, _document(document)))

    @policy.command("delete-inline")
    @_account_arg
    @click.argument("policy_name")
    @_entity_options
    @click.pass_context
    def delete_inline(ctx: click.Context, account_name: str, policy_name: str, user_name: str | None, group_name: str | None,
                      role_name: str | None) -> None:
        """Delete an inline policy of a user, group or role."""
        s = _scope(ctx, account_name)
        kind, name = _entity(user_name, group_name, role_name)
        _run(lambda: s.iam.inline.delete(s.grant, s.account_id, kind, name, policy_name))


def _role_commands(admin: click.Group) -> None:
    @admin.group()
    def role() -> None:
        """Roles (their trust policies say who may assume them)."""

    @role.command("create")
    @_account_arg
    @click.argument("role_name")
    @click.argument("trust_policy", type=click.Path(path_type=Path, exists=True, dir_okay=False))
    @click.option("--path", default="/", show_default=True)
    @click.option("--description", default=None)
    @click.option("--max-session-duration", type=int, default=3600, show_default=True, help="Seconds (3600-43200).")
    @click.pass_context
    def role_create(ctx: click.Context, account_name: str, role_name: str, trust_policy: Path, path: str, description: str | None,
                    max_session_duration: int) -> None:
        """Create a role from a trust policy file; prints its ARN."""
        from .service.iam import IamRole

        s = _scope(ctx, account_name)
        draft = IamRole(s.account_id, role_name, "", path, description, _document(trust_policy), max_session_duration, 0.0)
        click.echo(_run(lambda: s.iam.roles.create(s.grant, draft)).arn)

    @role.command("list")
    @_account_arg
    @click.pass_context
    def role_list(ctx: click.Context, account_name: str) -> None:
        """List roles (name, ARN, maximum session seconds)."""
        s = _scope(ctx, account_name)
        for r in s.iam.roles.list_in(s.account_id):
            click.echo(f"{r.name}\t{r.arn}\t{r.max_session_seconds}")

    @role.command("delete")
    @_account_arg
    @click.argument("role_name")
    @click.pass_context
    def role_delete(ctx: click.Context, account_name: str, role_name: str) -> None:
        """Delete a role without policies."""
        s = _scope(ctx, account_name)
        _run(lambda: s.iam.roles.delete(s.grant, s.account_id, role_name))

    @role.command("boundary")
    @_account_arg
    @click.argument("role_name")
    @click.argument("policy_arn", required=False)
    @click.pass_context
    def role_boundary(ctx: click.Context, account_name: str, role_name: str, policy_arn: str | None) -> None:
        """Set the role's permissions boundary to a managed policy (no ARN: remove it)."""
        s = _scope(ctx, account_name)
        _run(lambda: s.iam.roles.set_boundary(s.grant, s.account_id, role_name, policy_arn))


def _key_commands(key: click.Group) -> None:
    @key.command("status")
    @_account_arg
    @click.argument("access_key_id")
    @click.argument("status", type=click.Choice(["Active", "Inactive"]))
    @click.option("--user", "user_name", default=None, help="The key's user (default: the account root).")
    @click.pass_context
    def key_status(ctx: click.Context, account_name: str, access_key_id: str, status: str, user_name: str | None) -> None:
        """Activate or deactivate an access key (an Inactive key fails authentication)."""
        s = _scope(ctx, account_name)
        _run(lambda: s.iam.keys.set_status(s.grant, s.account_id, user_name, access_key_id, status))


def register_iam_commands(admin: click.Group, user: click.Group, key: click.Group) -> None:
    """Add the IAM commands to `strongroom admin` and its `user` and `key` groups."""
    _user_commands(user)
    _group_commands(admin)
    _policy_commands(admin)
    _role_commands(admin)
    _key_commands(key)
