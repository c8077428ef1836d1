// The openai npm SDK (built on fetch), configured by nothing but its environment.
import OpenAI from "openai";

const client = new OpenAI({ apiKey: "sk-runtime-test", maxRetries: 0, timeout: 20000 });
const reply = await client.chat.completions.create({
  model: "gpt-4o",
  messages: [{ role: "user", content: "hi" }],
});
console.log(reply.choices[0].message.content);
