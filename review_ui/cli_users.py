"""`scribe users create|disable|list`: account administration from the command line.

Passwords are read from a prompt (twice) or, when stdin is not a terminal, from its first line;
never from the command line, where they would end up in shell history and `ps`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any

from review_ui.tables import ROLES


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _read_password(error: Callable[[str], Exception]) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise error("the two passwords differ")
        return first
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if not password:
        raise error("no password on standard input")
    return password


def _engine(settings: Any) -> Any:
    from review_ui.app import migrate
    from scribe.db import make_engine

    migrate(settings.database_url)
    return make_engine(settings.database_url)


def cmd_users_create(args: argparse.Namespace, settings: Any, error: type[Exception]) -> int:
    """Create an account; the password is prompted for (or read from stdin)."""
    from review_ui import accounts
    from scribe.db import transaction

    password = _read_password(error)
    try:
        with transaction(_engine(settings)) as session:
            user = accounts.create_user(
                session=session,
                username=args.username,
                role=args.role,
                password=password,
                display_name=args.display_name or "",
                actor=_actor(),
            )
    except accounts.AccountError as problem:
        raise error(str(problem)) from problem
    sys.stdout.write(f"created {user.role} {user.username}\n")
    return 0


def cmd_users_disable(args: argparse.Namespace, settings: Any, error: type[Exception]) -> int:
    """Disable an account and end its sessions."""
    from review_ui import accounts
    from scribe.db import transaction
    from scribe.services import NotFound

    try:
        with transaction(_engine(settings)) as session:
            user = accounts.disable_user(session=session, username=args.username, actor=_actor())
    except NotFound as problem:
        raise error(str(problem)) from problem
    sys.stdout.write(f"disabled {user.username}; their sessions have ended\n")
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Any, _error: type[Exception]) -> int:
    """List accounts (never their hashes)."""
    import json

    from review_ui import accounts
    from scribe.db import transaction

    with transaction(_engine(settings)) as session:
        rows = [
            {
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
                "disabled": user.disabled,
                "created_at": user.created_at.isoformat(),
            }
            for user in accounts.list_users(session)
        ]
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        for row in rows:
            state = "disabled" if row["disabled"] else "active"
            sys.stdout.write(
                f"{row['username']:<24} {row['role']:<11} {state:<9} {row['display_name']}\n"
            )
    return 0


def add_users_parser(commands: Any, bind: Callable[[Callable[..., int]], Any]) -> None:
    """Add `users create|disable|list`; `bind` turns a command into the parser's handler."""
    users = commands.add_parser("users", help="user accounts").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser(
        "create", help="create a user (password from a prompt, or stdin's first line)"
    )
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--display-name", help="the name shown on pages (default: username)")
    create.set_defaults(handler=bind(cmd_users_create))
    disable = users.add_parser("disable", help="disable a user and end their sessions")
    disable.add_argument("username")
    disable.set_defaults(handler=bind(cmd_users_disable))
    listing = users.add_parser("list", help="list users")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=bind(cmd_users_list))
