using System.Text;
using System.Text.Json.Nodes;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>Rebuilds a protocol's non-streamed response from its stream's events.</summary>
public abstract class StreamAssembler
{
    public abstract void Add(string? name, JsonObject data);

    /// <summary>The response the events add up to; null when the stream did not get far enough.</summary>
    public abstract JsonObject? Assemble();

    public static StreamAssembler? For(string route) => route switch
    {
        "openai.chat" => new ChatStreamAssembler(),
        "anthropic.messages" => new MessagesStreamAssembler(),
        "openai.responses" => new ResponsesStreamAssembler(),
        _ => null,
    };

    protected static JsonNode? Copy(JsonNode? node) => node?.DeepClone();
}

/// <summary>OpenAI chat completion chunks: content and tool-call arguments concatenated per choice, the usage chunk last.</summary>
internal sealed class ChatStreamAssembler : StreamAssembler
{
    private sealed class Choice
    {
        public readonly StringBuilder Content = new();
        public bool HasContent;
        public string? Refusal;
        public string? FinishReason;
        public JsonNode? Logprobs;
        public readonly SortedDictionary<int, (string? Id, string? Type, string? Name, StringBuilder Arguments)> Tools = [];
    }

    private JsonObject? _first;
    private JsonNode? _usage;
    private readonly SortedDictionary<int, Choice> _choices = [];

    public override void Add(string? name, JsonObject data)
    {
        _first ??= data;
        if (data["usage"] is JsonObject usage) _usage = usage;
        if (data["choices"] is not JsonArray choices) return;
        foreach (var c in choices)
        {
            if (c is not JsonObject choice) continue;
            var index = choice["index"]?.GetValue<int>() ?? 0;
            if (!_choices.TryGetValue(index, out var state)) _choices[index] = state = new Choice();
            if (choice["finish_reason"]?.GetValue<string>() is { } finish) state.FinishReason = finish;
            if (choice["logprobs"] is JsonObject logprobs) state.Logprobs = logprobs;
            if (choice["delta"] is not JsonObject delta) continue;
            if (delta["content"]?.GetValue<string>() is { } text) { state.Content.Append(text); state.HasContent = true; }
            if (delta["refusal"]?.GetValue<string>() is { } refusal) state.Refusal = (state.Refusal ?? "") + refusal;
            if (delta["tool_calls"] is not JsonArray calls) continue;
            foreach (var call in calls)
            {
                if (call is not JsonObject tc) continue;
                var i = tc["index"]?.GetValue<int>() ?? 0;
                var t = state.Tools.TryGetValue(i, out var existing) ? existing : (null, null, null, new StringBuilder());
                t.Id ??= tc["id"]?.GetValue<string>();
                t.Type ??= tc["type"]?.GetValue<string>();
                if (tc["function"] is JsonObject f)
                {
                    t.Name ??= f["name"]?.GetValue<string>();
                    t.Arguments.Append(f["arguments"]?.GetValue<string>());
                }
                state.Tools[i] = t;
            }
        }
    }

    public override JsonObject? Assemble()
    {
        if (_first is null || _choices.Count == 0) return null;
        var choices = new JsonArray();
        foreach (var (index, c) in _choices)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = c.HasContent ? c.Content.ToString() : null, ["refusal"] = c.Refusal };
            if (c.Tools.Count > 0)
                message["tool_calls"] = new JsonArray(c.Tools.Values.Select(t => (JsonNode)new JsonObject
                {
                    ["id"] = t.Id, ["type"] = t.Type ?? "function",
                    ["function"] = new JsonObject { ["name"] = t.Name, ["arguments"] = t.Arguments.ToString() },
                }).ToArray());
            choices.Add(new JsonObject { ["index"] = index, ["message"] = message, ["logprobs"] = Copy(c.Logprobs), ["finish_reason"] = c.FinishReason });
        }
        var answer = new JsonObject
        {
            ["id"] = Copy(_first["id"]), ["object"] = "chat.completion", ["created"] = Copy(_first["created"]), ["model"] = Copy(_first["model"]),
            ["choices"] = choices, ["usage"] = Copy(_usage),
        };
        if (_first["system_fingerprint"] is { } fingerprint) answer["system_fingerprint"] = Copy(fingerprint);
        if (_first["service_tier"] is { } tier) answer["service_tier"] = Copy(tier);
        return answer;
    }
}

/// <summary>Anthropic message events: the message from message_start, its blocks from their start and deltas, stop and usage from message_delta.</summary>
internal sealed class MessagesStreamAssembler : StreamAssembler
{
    private JsonObject? _message;
    private readonly SortedDictionary<int, (JsonObject Block, StringBuilder? Json)> _blocks = [];
    private bool _stopped;

    public override void Add(string? name, JsonObject data)
    {
        switch (data["type"]?.GetValue<string>())
        {
            case "message_start":
                _message = data["message"]?.DeepClone() as JsonObject;
                break;
            case "content_block_start" when data["content_block"] is JsonObject block:
                var start = (JsonObject)block.DeepClone();
                var json = start["type"]?.GetValue<string>() is "tool_use" or "server_tool_use" or "mcp_tool_use" ? new StringBuilder() : null;
                _blocks[data["index"]?.GetValue<int>() ?? 0] = (start, json);
                break;
            case "content_block_delta" when data["delta"] is JsonObject delta && _blocks.TryGetValue(data["index"]?.GetValue<int>() ?? 0, out var b):
                switch (delta["type"]?.GetValue<string>())
                {
                    case "text_delta": Append(b.Block, "text", delta["text"]); break;
                    case "thinking_delta": Append(b.Block, "thinking", delta["thinking"]); break;
                    case "signature_delta": b.Block["signature"] = Copy(delta["signature"]); break;
                    case "input_json_delta": b.Json?.Append(delta["partial_json"]?.GetValue<string>()); break;
                    case "citations_delta" when delta["citation"] is { } citation:
                        if (b.Block["citations"] is not JsonArray list) b.Block["citations"] = list = [];
                        list.Add(citation.DeepClone());
                        break;
                }
                break;
            case "message_delta" when _message is not null:
                if (data["delta"] is JsonObject d)
                    foreach (var (key, value) in d) _message[key] = Copy(value);
                if (data["usage"] is JsonObject usage)
                {
                    if (_message["usage"] is not JsonObject u) _message["usage"] = u = [];
                    foreach (var (key, value) in usage) if (value is not null) u[key] = Copy(value);
                }
                break;
            case "message_stop":
                _stopped = true;
                break;
        }
    }

    private static void Append(JsonObject block, string field, JsonNode? text) =>
        block[field] = (block[field]?.GetValue<string>() ?? "") + text?.GetValue<string>();

    public override JsonObject? Assemble()
    {
        if (_message is null || !_stopped) return null;
        var content = new JsonArray();
        foreach (var (block, json) in _blocks.Values)
        {
            if (json is not null) block["input"] = json.Length == 0 ? new JsonObject() : JsonNode.Parse(json.ToString());
            content.Add(block);
        }
        _message["content"] = content;
        return _message;
    }
}

/// <summary>Responses events: response.completed carries the whole response.</summary>
internal sealed class ResponsesStreamAssembler : StreamAssembler
{
    private JsonObject? _completed;

    public override void Add(string? name, JsonObject data)
    {
        if (data["type"]?.GetValue<string>() == "response.completed") _completed = data["response"] as JsonObject;
    }

    public override JsonObject? Assemble() => _completed?.DeepClone() as JsonObject;
}
