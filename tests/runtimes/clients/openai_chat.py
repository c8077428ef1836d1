"""The openai SDK, configured by nothing but its environment."""

import openai

client = openai.OpenAI(api_key="sk-runtime-test", max_retries=0)
reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
