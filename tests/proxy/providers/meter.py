"""Helpers to run an adapter over a captured sample, the way the proxy's addons will."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

from proxy.providers import RequestFacts, ResponseFacts
from tests.proxy.providers.samples import Sample


def request_facts(sample: Sample) -> RequestFacts:
    case = sample.case
    endpoint = case.adapter.classify("POST", case.host, case.path)
    return case.adapter.parse_request(endpoint, json.dumps(case.request).encode())


def parse(sample: Sample) -> ResponseFacts:
    case = sample.case
    endpoint = case.adapter.classify("POST", case.host, case.path)
    return case.adapter.parse_response(endpoint, sample.status, sample.body)


def meter(sample: Sample, cuts: Sequence[int] = ()) -> tuple[ResponseFacts, str, list[bool]]:
    """Feed the body split at ``cuts``; return facts, output_text and first_token_seen after
    each piece."""
    case = sample.case
    endpoint = case.adapter.classify("POST", case.host, case.path)
    stream = case.adapter.stream_meter(endpoint, request_facts(sample))
    bounds = [0, *sorted(set(cuts)), len(sample.body)]
    seen: list[bool] = []
    for start, end in itertools.pairwise(bounds):
        stream.feed(sample.body[start:end])
        seen.append(stream.first_token_seen())
    text = stream.output_text()
    assert stream.output_chars() == len(text)
    return stream.finish(), text, seen
