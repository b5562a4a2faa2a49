"""The fixture-site generator's old name: it moved to the top-level `fixturesite` package,
next to the `fixtures/` it builds. `newswatch.fixturesite.<module>` imports (bench/ still
has some) get the very same modules; import `fixturesite` in new code.
"""

import importlib
import sys

MOVED = ("analysis", "blocks", "catalog", "context", "encodings", "expectations", "feeds",
         "httpd", "m31", "m31_chrome", "model", "westjournal", "westjournal_chrome")

for _name in MOVED:
    _module = importlib.import_module(f"fixturesite.{_name}")
    sys.modules[f"{__name__}.{_name}"] = _module
    globals()[_name] = _module
