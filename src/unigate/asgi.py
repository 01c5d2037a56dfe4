"""`app` for any ASGI server: `uvicorn unigate.asgi:app`, `granian --interface asgi unigate.asgi:app`.

Configured from UNIGATE_* environment variables, like `unigate serve`.
"""

from unigate.app import create_app
from unigate.serving import FreezeAfterStartup

app = FreezeAfterStartup(create_app())
