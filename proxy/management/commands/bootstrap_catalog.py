from django.core.management.base import BaseCommand

from proxy.catalog_file import bootstrap


class Command(BaseCommand):
    help = (
        "When the catalog has no provider: registers OpenAI if OPENAI_API_KEY is set, otherwise "
        "the offline demo model. Does nothing on a catalog that has providers."
    )

    def handle(self, *args, **options):
        self.stdout.write(bootstrap())
