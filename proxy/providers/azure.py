"""Azure OpenAI: OpenAI's wire format behind deployment URLs.

- ``/openai/deployments/{deployment}/chat/completions?api-version=…`` (classic): the deployment
  name is the model as far as the URL goes (``model_from_path``); pricing maps it to a model
  through ``proxy.azure_deployments``.
- ``/openai/v1/chat/completions`` and ``/openai/responses?api-version=…`` (v1 / preview): the
  model (a deployment name) is in the body.
"""

from __future__ import annotations

from urllib.parse import unquote

from proxy.providers import openai as oa
from proxy.providers import refusals
from proxy.providers.base import Endpoint, RequestFacts, ResponseFacts, StreamMeter

_DEPLOYMENTS = "/openai/deployments/"


def deployment_from_path(path: str) -> str | None:
    bare = path.split("?", 1)[0]
    if not bare.startswith(_DEPLOYMENTS):
        return None
    deployment = bare[len(_DEPLOYMENTS) :].split("/", 1)[0]
    return unquote(deployment) or None


class AzureOpenAIAdapter(refusals.RefusesInShape):
    error_shape = refusals.OPENAI
    name = "azure"

    def classify(self, method: str, host: str, path: str) -> Endpoint:
        endpoint = oa.classify_openai_path(self.name, method, path)
        endpoint.model_from_path = deployment_from_path(path)
        return endpoint

    def parse_request(self, endpoint: Endpoint, body: bytes) -> RequestFacts:
        return oa.parse_openai_request(endpoint, body)

    def parse_response(self, endpoint: Endpoint, status: int, body: bytes) -> ResponseFacts:
        return oa.parse_openai_response(endpoint, status, body)

    def stream_meter(self, endpoint: Endpoint, request: RequestFacts) -> StreamMeter:
        return oa.openai_stream_meter(endpoint)
