"""mitmproxy's Master and the four addons the proxy runs, without the rest of its addons.

``mitmproxy/addons/__init__.py`` imports every addon of mitmproxy's own tools to list them in
``default_addons()``: the onboarding web app (Flask, Werkzeug, Jinja), proxy authentication
(ldap3), scripting, playback, export and twenty more, 12.5 MiB resident in every proxy process
(measured: `import proxy.service` under -O, 103.3 -> 90.8 MiB), none of which the proxy runs.
So the package is registered here as a plain namespace for its modules, its ``__init__`` not
run, before ``mitmproxy.master`` (which imports the ``termlog`` addon) and the four addons are
imported; each still runs its own module as usual. A process
that imported the whole package first (mitmproxy's tools, a test) keeps it: nothing changes.
"""

from __future__ import annotations

import importlib.util
import sys


def _register_bare_package(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    sys.modules[name] = importlib.util.module_from_spec(spec)  # __path__ set, __init__ not run


_register_bare_package("mitmproxy.addons")

from mitmproxy import master  # noqa: E402
from mitmproxy.addons import core, next_layer, proxyserver, tlsconfig  # noqa: E402

__all__ = ["core", "master", "next_layer", "proxyserver", "tlsconfig"]
