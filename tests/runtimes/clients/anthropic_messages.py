"""The anthropic SDK, configured by nothing but its environment."""

import anthropic

client = anthropic.Anthropic(api_key="sk-ant-runtime-test", max_retries=0)
reply = client.messages.create(
    model="claude-sonnet-4-6", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
)
print(next(block.text for block in reply.content if block.type == "text"))
