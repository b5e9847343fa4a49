import yaml
from django.core.management.base import BaseCommand, CommandError

from proxy.catalog_file import CatalogError, load


class Command(BaseCommand):
    help = (
        "Upserts providers, models, routes and prices from a YAML file (see "
        "catalog.example.yaml). Idempotent: running it twice changes nothing the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        try:
            with open(file, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        except yaml.YAMLError as exc:
            raise CommandError(f"{file} is not valid YAML: {exc}") from None
        try:
            summary = load(data)
        except CatalogError as exc:
            raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(f"Loaded {summary}.")
