"""The control plane ingests every variant of the record the proxy spools, as the proxy writes
it (the corpus of ``tests/proxy/record_corpus.py``): in-progress documents first, then the
final ones that supersede them, as the shipper delivers them."""

from __future__ import annotations

import json
from typing import Any

from tests.control_plane.api.test_ingest import post_batch, setup_org
from tests.control_plane.conftest import SignUp
from tests.proxy.record_corpus import golden


async def test_every_spooled_record_variant_is_stored(signup: SignUp) -> None:
    owner, key = await setup_org(signup)
    first: list[dict[str, Any]] = []
    final: list[dict[str, Any]] = []
    for name, document in golden().items():
        values = json.loads(document)
        # This org's records, shipped with its ingest key (no other key to vouch for them).
        values["org"], values["api_key_id"] = "acme", None
        (first if name.endswith(".in_progress") else final).append(values)
    for batch in (first, final):
        answer = await post_batch(key, batch)
        assert answer["rejected"] == 0, [o for o in answer["outcomes"] if o["reason"]]
        assert answer["stored"] == len(batch)
    for values in final:
        call = await owner.ok("GET", f"/calls/{values['call_id']}")
        assert (call["status"], call["run_id"]) == (values["status"], values["run_id"])


async def test_a_record_whose_text_holds_a_nul_or_a_lone_surrogate_is_stored(
    signup: SignUp,
) -> None:
    """An upstream's error text with a NUL (which the store refuses) or a lone surrogate (which
    no JSON encoder writes) once lost the call's record: the proxy now writes each as U+FFFD."""
    from mitmproxy.test import taddons

    from tests.proxy.record_corpus import Case, Observer, chat, run_case

    odd = Case("upstream-failed-odd-text", body=chat(), error="refused \x00 by \udcff host")
    with taddons.context():  # type: ignore[no-untyped-call]
        [(_, document)] = run_case(odd, 97, Observer())
    values = json.loads(document)
    assert values["error_message"] == "refused \ufffd by \ufffd host"
    owner, key = await setup_org(signup)
    values["org"], values["api_key_id"] = "acme", None
    answer = await post_batch(key, [values])
    assert (answer["stored"], answer["rejected"]) == (1, 0), answer["outcomes"]
    call = await owner.ok("GET", f"/calls/{values['call_id']}")
    assert call["error_message"] == values["error_message"]
