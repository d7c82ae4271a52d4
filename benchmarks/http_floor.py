"""The HTTP floor: granian's WSGI server sending one fixed answer and doing nothing else.

`endpoint.py` starts it with the answer mappa-kb sent to the lookup (the same status, headers and
body) and mappa-kb's processes and threads, and measures it beside mappa-kb's repeated lookup: the
least any Python WSGI service takes for that request on this machine, under the same load.

    MAPPA_KB_FLOOR_ANSWER=answer.json granian --interface wsgi --workers 4 --blocking-threads 8 http_floor:app
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

_ANSWER = json.loads(Path(os.environ["MAPPA_KB_FLOOR_ANSWER"]).read_text())
STATUS: str = _ANSWER["status"]
HEADERS: list[tuple[str, str]] = [(name, value) for name, value in _ANSWER["headers"]]
BODY: bytes = base64.b64decode(_ANSWER["body"])


def app(environ: dict, start_response: Callable[..., object]) -> Iterable[bytes]:
    start_response(STATUS, HEADERS)
    return [BODY]
