// Calls the gateway with the official OpenAI Node SDK and prints one JSON line per call: its response id and the usage
// the SDK handed back. Run by the .NET tests (OpenAINodeSdkTests) with OPENAI_BASE_URL = gateway /v1 and
// OPENAI_API_KEY = a virtual key; they compare every line with the ledger.
import OpenAI from 'openai';

const client = new OpenAI({ maxRetries: 0, timeout: 20_000 });
const model = process.env.TOKENOPS_MODEL ?? 'gpt-5-mini';
const print = (call, id, usage) => console.log(JSON.stringify({ call, id, usage }));

const chat = await client.chat.completions.create({
  model,
  messages: [{ role: 'user', content: 'Name one way to cut a token bill.' }],
});
print('chat', chat.id, chat.usage);

let chatStreamId = null, chatStreamUsage = null;
const chatStream = await client.chat.completions.create({
  model,
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: 'user', content: 'Stream a short answer about budgets.' }],
});
for await (const chunk of chatStream) {
  chatStreamId ??= chunk.id;
  if (chunk.usage) chatStreamUsage = chunk.usage;
}
print('chat.stream', chatStreamId, chatStreamUsage);

const response = await client.responses.create({ model, input: 'What does a ledger row hold?' });
print('responses', response.id, response.usage);

const responseStream = client.responses.stream({ model, input: 'Stream what a ledger row holds.' });
const streamed = await responseStream.finalResponse();
print('responses.stream', streamed.id, streamed.usage);
