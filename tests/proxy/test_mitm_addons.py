"""The proxy imports only the mitmproxy addons it runs."""

from __future__ import annotations

import subprocess
import sys


def test_the_proxy_imports_none_of_mitmproxys_other_addons() -> None:
    """A fresh process importing the proxy's service (as ``agentops proxy`` does) loads the four
    addons it runs, and not the Flask onboarding app, ldap3 or the other tools' addons."""
    code = (
        "import sys\n"
        "import proxy.service\n"
        "from proxy._mitm_addons import core, next_layer, proxyserver, tlsconfig\n"
        "print(sorted(m for m in ('flask', 'ldap3', 'mitmproxy.addons.onboarding',\n"
        "    'mitmproxy.addons.proxyauth', 'mitmproxy.addons.script') if m in sys.modules))\n"
        "print(core.Core.__module__, tlsconfig.TlsConfig.__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "[]",
        "mitmproxy.addons.core mitmproxy.addons.tlsconfig",
    ]
