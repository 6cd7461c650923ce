"""`rekisteri serve`: the production web server (gunicorn), not Django's runserver."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from gunicorn.app.base import BaseApplication

from rekisteri.keystore.services import KeystoreError, key_pool_enable, keystore_verify


def _bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # gunicorn binds with SO_REUSEADDR too, so a socket in TIME_WAIT is no obstacle.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _bounded_int(name: str, low: int, high: int):
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, not {value!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{name} must be between {low} and {high}, not {number}")
        return number

    parse.__name__ = name
    return parse


class Command(BaseCommand):
    help = (
        "Serve rekisteri with gunicorn, a production-grade WSGI server with several worker "
        "processes. Static files are served by the application itself (whitenoise)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="Address to listen on (default 127.0.0.1; 0.0.0.0 listens on every interface).",
        )
        parser.add_argument(
            "--port",
            type=_bounded_int("port", 1, 65535),
            default=8000,
            help="Port to listen on (default 8000).",
        )
        parser.add_argument(
            "--workers",
            type=_bounded_int("workers", 1, 64),
            default=3,
            help="Number of worker processes (default 3).",
        )
        parser.add_argument(
            "--timeout",
            type=_bounded_int("timeout", 5, 3600),
            default=30,
            help="Seconds before a silent worker is restarted (default 30).",
        )
        parser.add_argument(
            "--access-log",
            action="store_true",
            help="Log every request to stderr. Off by default: URLs carry search "
            "terms, which are personal data.",
        )

    def handle(self, *args, host: str, port: int, workers: int, timeout: int, access_log: bool, **options):
        self._refuse_unapplied_migrations()
        self._refuse_unusable_master_key()
        if not _port_is_free(host, port):
            raise CommandError(
                f"Cannot listen on {_bind_address(host, port)}: the address is in use "
                f"or not available. Choose another with --host/--port."
            )
        # whitenoise warns in every worker when STATIC_ROOT is missing, even though it
        # serves from the finders; an empty directory keeps the log clean.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        # Workers are forked from this process: they must not inherit its connections.
        connections.close_all()
        # Each worker makes new persons' data keys ahead, many in one key-store commit.
        key_pool_enable(settings.DATA_KEY_POOL_SIZE)

        url_host = f"[{host}]" if ":" in host else host
        self.stdout.write(
            f"rekisteri is serving on http://{url_host}:{port}/ with {workers} workers. Stop with Ctrl+C."
        )
        self.stdout.flush()
        sys.stdout.flush()
        _GunicornApplication(
            {
                "bind": _bind_address(host, port),
                "workers": workers,
                "worker_class": "sync",
                "timeout": timeout,
                "graceful_timeout": timeout,
                "accesslog": "-" if access_log else None,
                "errorlog": "-",
                "loglevel": "info",
                "proc_name": "rekisteri",
                # The control socket lives in $HOME by default; two servers would fight over it.
                "control_socket_disable": True,
            }
        ).run()

    def _refuse_unapplied_migrations(self) -> None:
        for alias in connections:
            try:
                executor = MigrationExecutor(connections[alias])
                plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            except Exception as exc:  # a missing database, a refused connection
                raise CommandError(f"Cannot open the {alias!r} database: {exc}") from exc
            if plan:
                option = "" if alias == "default" else f" --database {alias}"
                raise CommandError(
                    f"The {alias!r} database lacks {len(plan)} migration(s). "
                    f"Run `rekisteri migrate{option}` first."
                )

    def _refuse_unusable_master_key(self) -> None:
        # A wrong or missing master key must stop the server here, with a clear message,
        # rather than in every worker's first request.
        try:
            keystore_verify()
        except KeystoreError as exc:
            raise CommandError(str(exc)) from None
        # Likewise the audit key, without which no read can be audited.
        from rekisteri.audit.keys import AuditKeyError, audit_keys

        try:
            audit_keys()
        except AuditKeyError as exc:
            raise CommandError(str(exc)) from None


class _GunicornApplication(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from rekisteri.wsgi import application

        return application
