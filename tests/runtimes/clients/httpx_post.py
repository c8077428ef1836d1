"""httpx, configured by nothing but its environment (SSL_CERT_FILE, HTTPS_PROXY)."""

import httpx

response = httpx.post(
    "https://api.openai.com/v1/chat/completions",
    headers={"authorization": "Bearer sk-runtime-test"},
    json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
    timeout=30,
)
response.raise_for_status()
print(response.json()["choices"][0]["message"]["content"])
