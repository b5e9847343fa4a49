"""`python -m config.serve ...`: daphne with its usual arguments, and an access log that redacts
key-like query parameters (daphne writes the raw URI)."""

from __future__ import annotations

from daphne import cli
from daphne.access import AccessLogGenerator

from config.logs import redact_query


class RedactingAccessLog(AccessLogGenerator):
    def write_entry(self, host, date, request, *args, **kwargs) -> None:
        super().write_entry(host, date, redact_query(request), *args, **kwargs)


def main() -> None:
    cli.AccessLogGenerator = RedactingAccessLog
    cli.CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
