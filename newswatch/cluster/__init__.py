"""Past one machine: workers on many machines, coordinated through Redis (docs/cluster.md).

The one-machine daemon needs none of this; nothing here is imported without `[cluster]`
but `masked`, which keeps Redis passwords out of logs.
"""

import re


def masked(url: str) -> str:
    """A URL without its password, for logs."""
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)
