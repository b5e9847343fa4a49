from django.apps import AppConfig


class ProxyConfig(AppConfig):
    name = "proxy"
    verbose_name = "Proxy and model catalog"

    def ready(self) -> None:
        from proxy import signals  # noqa: F401  (catalog reload on changes)
