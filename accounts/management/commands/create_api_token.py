"""Issues a per-integration API token; the key is printed once and never stored in clear."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import ApiToken, User
from accounts.scopes import SCOPES, scopes_for_roles
from audit.services import audit_record


class Command(BaseCommand):
    help = "Issue an API token for USERNAME. The key is shown once: store it in a secret manager."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--name", required=True, help="What the token is for, e.g. 'erp-integration' (audited)."
        )
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=sorted(SCOPES),
            help="A scope the token may use (repeat for several). Default: every scope the "
            "user's roles allow (accounts/scopes.py).",
        )

    def handle(
        self, *args: Any, username: str, name: str, scopes: list[str] | None, **options: Any
    ) -> None:
        name = name.strip()
        if not name:
            raise CommandError("--name must not be blank.")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        allowed = scopes_for_roles(user)
        refused = sorted(set(scopes or []) - allowed)
        if refused:
            raise CommandError(f"{username!r}'s roles do not allow: {', '.join(refused)}.")
        chosen = sorted(set(scopes) if scopes else allowed)
        if not chosen:
            raise CommandError(f"{username!r} has no role that can use the API.")
        with transaction.atomic():
            token, key = ApiToken.issue(user=user, name=name[:100], scopes=chosen)
            # Who holds API access is evidence too; never the key, only its prefix. The same
            # action as a token made in the portal or the API, so one query finds them all.
            audit_record(
                action="api_token.created",
                obj=token,
                text="issued with the create_api_token command",
                after={
                    "user": user.get_username(),
                    "name": token.name,
                    "prefix": token.prefix,
                    "scopes": token.scopes,
                },
            )
        self.stdout.write(key)
        self.stderr.write(
            f"Token {token.name!r} ({token.prefix}…) issued for {user.get_username()}. "
            "The key above is shown only once; send it as 'Authorization: Token <key>'."
        )
