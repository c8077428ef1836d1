"""boto3's Bedrock Converse, configured by nothing but its environment (AWS_CA_BUNDLE)."""

import boto3

client = boto3.client("bedrock-runtime", region_name="us-east-1")
reply = client.converse(
    modelId="anthropic.claude-3-5-sonnet-20240620-v1:0",
    messages=[{"role": "user", "content": [{"text": "hi"}]}],
)
print(reply["output"]["message"]["content"][0]["text"])
