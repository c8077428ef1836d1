"""requests, configured by nothing but its environment (REQUESTS_CA_BUNDLE, HTTPS_PROXY)."""

import requests

response = requests.post(
    "https://api.openai.com/v1/chat/completions",
    headers={"authorization": "Bearer sk-runtime-test"},
    json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
    timeout=30,
)
response.raise_for_status()
print(response.json()["choices"][0]["message"]["content"])
