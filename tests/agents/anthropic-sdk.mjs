// Calls the gateway with the official Anthropic Node SDK and prints one JSON line per call: its message id and the
// usage the SDK handed back. Run by the .NET tests (AnthropicNodeSdkTests) with ANTHROPIC_BASE_URL = gateway and
// ANTHROPIC_API_KEY = a virtual key; they compare every line with the ledger.
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic({ maxRetries: 0, timeout: 20_000 });
const model = process.env.TOKENOPS_MODEL ?? 'claude-sonnet-4-5';
const print = (call, id, usage) => console.log(JSON.stringify({ call, id, usage }));
// A system prompt past the model's prompt-cache minimum, marked for caching: the first call writes it, the second reads it.
const system = [{
  type: 'text',
  text: 'House rules for the payments repository. '.repeat(200),
  cache_control: { type: 'ephemeral' },
}];

const message = await client.messages.create({
  model,
  max_tokens: 256,
  system,
  messages: [{ role: 'user', content: 'Name one way to cut a token bill.' }],
});
print('messages', message.id, message.usage);

const stream = client.messages.stream({
  model,
  max_tokens: 256,
  system,
  messages: [{ role: 'user', content: 'Stream a short answer about budgets.' }],
});
const final = await stream.finalMessage();
print('messages.stream', final.id, final.usage);
