"""`shanzhi <command>`: a thin wrapper over manage.py (demo, serve, worker, scheduler, import, export, …)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] or ["help"]
    if args[0] in ("serve", "worker", "scheduler", "simulate"):
        import django

        django.setup()
        from shanzhi.common.keys import require_safe_keys

        require_safe_keys()
    aliases = {"worker": "db_worker"}
    args[0] = aliases.get(args[0], args[0])
    execute_from_command_line(["shanzhi", *args])


if __name__ == "__main__":
    main()
