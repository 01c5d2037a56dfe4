"""`app` for any ASGI server: `uvicorn unigate.asgi:app`, `granian --interface asgi unigate.asgi:app`.

Configured from UNIGATE_* environment variables, like `unigate serve` (sandbox accounts off unless
UNIGATE_SANDBOXES=on).
"""

from unigate.app import create_app
from unigate.serving import FreezeAfterStartup
from unigate.settings import Settings

app = FreezeAfterStartup(create_app(Settings.for_serving()))
