"""ASGI entry point: `/v1/...` and `/v1beta/...` go to the proxy, everything else to Django.

The proxy is a plain ASGI callable with no Django middleware on its path: every microsecond there
is paid by every API call.
"""

from __future__ import annotations

import os

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()  # sets Django up before the proxy is imported

from proxy.asgi import application as proxy_application  # noqa: E402
from proxy.asgi import refuse_websocket  # noqa: E402

PROXY_PREFIXES = ("/v1/", "/v1beta/")
PROXY_EXACT = ("/v1", "/v1beta")


async def http_application(scope, receive, send) -> None:
    """Send one HTTP connection to the proxy or to Django by its path."""
    path = scope["path"]
    if path.startswith(PROXY_PREFIXES) or path in PROXY_EXACT:
        await proxy_application(scope, receive, send)
    else:
        await django_application(scope, receive, send)


async def lifespan_application(scope, receive, send) -> None:
    """ASGI lifespan (uvicorn, granian): nothing to start; close upstream connections at the end."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            from proxy.upstream import close_client

            await close_client()
            await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter(
    {"http": http_application, "websocket": refuse_websocket, "lifespan": lifespan_application}
)
