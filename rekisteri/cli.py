"""The `rekisteri` console script: Django's management commands under one name."""

from __future__ import annotations

import os
import sys

HYPHENATED = {"backup-keys": "backup_keys"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rekisteri.settings")
    from django.core.management import execute_from_command_line

    from rekisteri.lib.env import EnvError

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "rekisteri"
    # Command names are Python module names; the CLI also takes them spelled with hyphens
    # (`rekisteri backup-keys`, `rekisteri help backup-keys`).
    command_at = 2 if len(argv) > 2 and argv[1] == "help" else 1
    if len(argv) > command_at:
        argv[command_at] = HYPHENATED.get(argv[command_at], argv[command_at])
    try:
        execute_from_command_line(argv)
    except EnvError as exc:
        print(f"rekisteri: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
