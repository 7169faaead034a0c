using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>
/// Turns a stored answer (the protocol's non-streamed response) back into what the client asked for: the JSON body, or
/// the stream the provider would have sent, with the same event shapes and the same usage. A stream is written whole
/// in one go (the answer is already complete), one content delta per block.
/// </summary>
public abstract class ReplayWriter
{
    public abstract byte[] Stream(JsonObject answer, bool includeUsage);

    public static ReplayWriter For(string route) => route switch
    {
        "openai.chat" => new ChatReplayWriter(),
        "anthropic.messages" => new MessagesReplayWriter(),
        "openai.responses" => new ResponsesReplayWriter(),
        _ => throw new ArgumentOutOfRangeException(nameof(route), route, "no replay for this route"),
    };

    protected sealed class SseBuilder
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(4096);

        public void Event(string? name, JsonNode data)
        {
            if (name is not null) Write("event: " + name + "\n");
            Write("data: ");
            using (var writer = new Utf8JsonWriter(_buffer)) data.WriteTo(writer);
            Write("\n\n");
        }

        public void Raw(string line) => Write(line);

        private void Write(string text) => _buffer.Write(Encoding.UTF8.GetBytes(text));

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }

    protected static JsonNode? Copy(JsonNode? node) => node?.DeepClone();
}

/// <summary>chat.completion.chunk events: the role, the content, the tool calls, the finish, the usage chunk when asked for, [DONE].</summary>
internal sealed class ChatReplayWriter : ReplayWriter
{
    public override byte[] Stream(JsonObject answer, bool includeUsage)
    {
        var sse = new SseBuilder();
        JsonObject Chunk(JsonArray choices)
        {
            var chunk = new JsonObject
            {
                ["id"] = Copy(answer["id"]), ["object"] = "chat.completion.chunk", ["created"] = Copy(answer["created"]), ["model"] = Copy(answer["model"]),
            };
            if (answer["service_tier"] is { } tier) chunk["service_tier"] = Copy(tier);
            if (answer["system_fingerprint"] is { } fingerprint) chunk["system_fingerprint"] = Copy(fingerprint);
            chunk["choices"] = choices;
            if (includeUsage) chunk["usage"] = null;
            return chunk;
        }
        JsonArray One(JsonNode? index, JsonObject delta, JsonNode? logprobs = null, string? finish = null) =>
            [new JsonObject { ["index"] = Copy(index), ["delta"] = delta, ["logprobs"] = logprobs, ["finish_reason"] = finish }];

        foreach (var c in answer["choices"]?.AsArray() ?? [])
        {
            if (c is not JsonObject choice) continue;
            var index = choice["index"];
            var message = choice["message"] as JsonObject ?? [];
            sse.Event(null, Chunk(One(index, new JsonObject { ["role"] = "assistant", ["content"] = "", ["refusal"] = null })));
            if (message["content"]?.GetValue<string>() is { Length: > 0 } text)
                sse.Event(null, Chunk(One(index, new JsonObject { ["content"] = text }, Copy(choice["logprobs"]))));
            if (message["refusal"]?.GetValue<string>() is { Length: > 0 } refusal)
                sse.Event(null, Chunk(One(index, new JsonObject { ["refusal"] = refusal })));
            var i = 0;
            foreach (var call in message["tool_calls"]?.AsArray() ?? [])
            {
                if (call is not JsonObject tc) continue;
                var delta = new JsonObject { ["index"] = i++, ["id"] = Copy(tc["id"]), ["type"] = Copy(tc["type"]), ["function"] = Copy(tc["function"]) };
                sse.Event(null, Chunk(One(index, new JsonObject { ["tool_calls"] = new JsonArray(delta) })));
            }
            sse.Event(null, Chunk(One(index, [], null, choice["finish_reason"]?.GetValue<string>())));
        }
        if (includeUsage)
        {
            var last = Chunk([]);
            last["usage"] = Copy(answer["usage"]);
            sse.Event(null, last);
        }
        sse.Raw("data: [DONE]\n\n");
        return sse.ToArray();
    }
}

/// <summary>Anthropic's events: message_start, each block's start, delta and stop, message_delta with the stop and usage, message_stop.</summary>
internal sealed class MessagesReplayWriter : ReplayWriter
{
    public override byte[] Stream(JsonObject answer, bool includeUsage)
    {
        var sse = new SseBuilder();
        var start = (JsonObject)answer.DeepClone();
        start["content"] = new JsonArray();
        start["stop_reason"] = null;
        start["stop_sequence"] = null;
        if (start["usage"] is JsonObject startUsage) startUsage["output_tokens"] = 0;
        sse.Event("message_start", new JsonObject { ["type"] = "message_start", ["message"] = start });
        var index = 0;
        foreach (var node in answer["content"]?.AsArray() ?? [])
        {
            if (node is not JsonObject block) continue;
            var type = block["type"]?.GetValue<string>();
            var opening = (JsonObject)block.DeepClone();
            var deltas = new List<JsonObject>();
            switch (type)
            {
                case "text":
                    opening["text"] = "";
                    opening.Remove("citations");
                    foreach (var citation in block["citations"]?.AsArray() ?? [])
                        deltas.Add(new JsonObject { ["type"] = "citations_delta", ["citation"] = Copy(citation) });
                    deltas.Add(new JsonObject { ["type"] = "text_delta", ["text"] = Copy(block["text"]) });
                    break;
                case "thinking":
                    opening["thinking"] = "";
                    opening["signature"] = "";
                    deltas.Add(new JsonObject { ["type"] = "thinking_delta", ["thinking"] = Copy(block["thinking"]) });
                    if (block["signature"] is { } signature) deltas.Add(new JsonObject { ["type"] = "signature_delta", ["signature"] = Copy(signature) });
                    break;
                case "tool_use" or "server_tool_use" or "mcp_tool_use":
                    opening["input"] = new JsonObject();
                    deltas.Add(new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = (block["input"] ?? new JsonObject()).ToJsonString() });
                    break;
            }
            sse.Event("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = opening });
            foreach (var delta in deltas)
                sse.Event("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = delta });
            sse.Event("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index });
            index++;
        }
        sse.Event("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = Copy(answer["stop_reason"]), ["stop_sequence"] = Copy(answer["stop_sequence"]) },
            ["usage"] = Copy(answer["usage"]),
        });
        sse.Event("message_stop", new JsonObject { ["type"] = "message_stop" });
        return sse.ToArray();
    }
}

/// <summary>Responses events: created, in_progress, each output item added, its parts and deltas, done, then completed with the whole response.</summary>
internal sealed class ResponsesReplayWriter : ReplayWriter
{
    public override byte[] Stream(JsonObject answer, bool includeUsage)
    {
        var sse = new SseBuilder();
        var sequence = 0;
        void Emit(string type, JsonObject data)
        {
            var e = new JsonObject { ["type"] = type, ["sequence_number"] = sequence++ };
            foreach (var (key, value) in data) e[key] = value?.DeepClone();
            sse.Event(type, e);
        }
        var pending = (JsonObject)answer.DeepClone();
        pending["status"] = "in_progress";
        pending["output"] = new JsonArray();
        pending["usage"] = null;
        Emit("response.created", new JsonObject { ["response"] = pending.DeepClone() });
        Emit("response.in_progress", new JsonObject { ["response"] = pending });
        var outputIndex = 0;
        foreach (var node in answer["output"]?.AsArray() ?? [])
        {
            if (node is not JsonObject item) continue;
            var id = item["id"]?.GetValue<string>();
            var added = (JsonObject)item.DeepClone();
            var type = item["type"]?.GetValue<string>();
            if (type == "message") { added["content"] = new JsonArray(); added["status"] = "in_progress"; }
            if (type == "function_call") { added["arguments"] = ""; added["status"] = "in_progress"; }
            Emit("response.output_item.added", new JsonObject { ["output_index"] = outputIndex, ["item"] = added });
            if (type == "message")
            {
                var contentIndex = 0;
                foreach (var p in item["content"]?.AsArray() ?? [])
                {
                    if (p is not JsonObject part) continue;
                    var empty = (JsonObject)part.DeepClone();
                    var isText = part["type"]?.GetValue<string>() == "output_text";
                    if (isText) { empty["text"] = ""; empty["annotations"] = new JsonArray(); }
                    JsonObject Where() => new() { ["item_id"] = id, ["output_index"] = outputIndex, ["content_index"] = contentIndex };
                    var partAdded = Where();
                    partAdded["part"] = empty;
                    Emit("response.content_part.added", partAdded);
                    if (isText)
                    {
                        var delta = Where();
                        delta["delta"] = Copy(part["text"]);
                        delta["logprobs"] = new JsonArray();
                        Emit("response.output_text.delta", delta);
                        var done = Where();
                        done["text"] = Copy(part["text"]);
                        done["logprobs"] = new JsonArray();
                        Emit("response.output_text.done", done);
                    }
                    var partDone = Where();
                    partDone["part"] = part.DeepClone();
                    Emit("response.content_part.done", partDone);
                    contentIndex++;
                }
            }
            else if (type == "function_call")
            {
                Emit("response.function_call_arguments.delta", new JsonObject { ["item_id"] = id, ["output_index"] = outputIndex, ["delta"] = Copy(item["arguments"]) });
                Emit("response.function_call_arguments.done", new JsonObject { ["item_id"] = id, ["output_index"] = outputIndex, ["arguments"] = Copy(item["arguments"]) });
            }
            Emit("response.output_item.done", new JsonObject { ["output_index"] = outputIndex, ["item"] = item.DeepClone() });
            outputIndex++;
        }
        Emit("response.completed", new JsonObject { ["response"] = answer.DeepClone() });
        return sse.ToArray();
    }
}
