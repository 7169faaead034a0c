using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Metering;

namespace TokenOps.Gateway.Protocols.OpenAI;

/// <summary>POST /v1/responses. Streams are metered from the terminal response.completed / incomplete / failed event.</summary>
public sealed class ResponsesRoute : ProtocolRoute
{
    public override string Name => "openai.responses";
    public override string Path => "/v1/responses";
    public override Dialect Dialect => Dialect.OpenAI;

    public override RequestFacts Read(JsonElement root)
    {
        var model = JsonFields.RequiredModel(root);
        if (!root.TryGetProperty("input", out var input) || input.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            throw GatewayException.BadRequest("missing_field", "The request body needs 'input' as a string or an array of items.", "input");
        // A background response goes on after this request has ended: its hold stays and its row is written when it ends
        // (Responses/BackgroundResponses). Streamed, the row is written from the stream's end as usual, unless the stream
        // stops before the response does: then the response is tracked like a queued one.
        var background = JsonFields.OptionalBool(root, "background");
        var stream = JsonFields.OptionalBool(root, "stream");
        return new RequestFacts(model, stream, JsonFields.OptionalPositiveInt(root, "max_output_tokens"), true,
            UnseenInput: UnseenInput.InResponses(root), ToolCalls: ToolCallBound.InResponses(root), Tier: JsonFields.RequestedTier(root), Background: background);
    }

    public override UsageMeter CreateMeter(RequestFacts facts) => new ResponsesMeter();

    public override void CollectPromptText(JsonElement root, StringBuilder text)
    {
        if (root.TryGetProperty("instructions", out var instructions)) JsonFields.CollectText(instructions, text);
        if (root.TryGetProperty("input", out var input)) JsonFields.CollectText(input, text);
        if (root.TryGetProperty("tools", out var tools)) text.Append(tools.GetRawText());
        if (root.TryGetProperty("text", out var format)) text.Append(format.GetRawText());
    }
}

internal sealed class ResponsesMeter : UsageMeter
{
    /// <summary>The answer is a response still queued or running (background mode): its usage comes when it ends.</summary>
    public bool Running { get; private set; }

    /// <summary>The response's status (queued, in_progress, completed, incomplete, failed, cancelled).</summary>
    public string? Status { get; private set; }

    /// <summary>The model the provider says answered.</summary>
    public string? Model { get; private set; }

    private static readonly TextFields DeltaText = new("delta");
    public override void OnJson(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(body);
        ReadResponse(doc.RootElement);
    }

    public override bool OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data)
    {
        if (eventName.SequenceEqual("response.output_text.delta"u8) || eventName.SequenceEqual("response.reasoning_summary_text.delta"u8)
            || eventName.SequenceEqual("response.function_call_arguments.delta"u8))
        {
            AppendStrings(data, DeltaText);
            return true;
        }
        var terminal = IsTerminalEvent(eventName);
        if (!terminal && !eventName.SequenceEqual("response.created"u8)) return true;
        try
        {
            using var doc = JsonDocument.Parse(data.ToArray());
            if (doc.RootElement.TryGetProperty("response", out var response)) ReadResponse(response);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
        }
        IsTerminal |= terminal;
        return true;
    }

    /// <summary>The events that end a Responses stream, each carrying the final response object.</summary>
    public static bool IsTerminalEvent(ReadOnlySpan<byte> eventName) =>
        eventName.SequenceEqual("response.completed"u8) || eventName.SequenceEqual("response.incomplete"u8) || eventName.SequenceEqual("response.failed"u8);

    private void ReadResponse(JsonElement response)
    {
        if (response.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String) ProviderRequestId = JsonText.SafeString(id);
        Tier = ParseTier(response);
        if (response.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String) Model = JsonText.SafeString(model);
        if (response.TryGetProperty("status", out var state) && state.ValueKind == JsonValueKind.String)
        {
            Status = JsonText.SafeString(state);
            Running = Status is "queued" or "in_progress";
        }
        if (response.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String && !status.ValueEquals("in_progress"))
            FinishReason = response.TryGetProperty("incomplete_details", out var details) && details.ValueKind == JsonValueKind.Object
                           && details.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
                ? JsonText.SafeString(reason)
                : JsonText.SafeString(status);
        if (response.TryGetProperty("output", out var items) && items.ValueKind == JsonValueKind.Array)
            ToolCallCount = (int)CountItems(response, "function_call");
        if (response.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            Usage = OpenAIUsage.FromResponses(usage, Tier) with
            {
                WebSearchCalls = CountItems(response, "web_search_call"),
                FileSearchCalls = CountItems(response, "file_search_call"),
            };
        else if (response.TryGetProperty("output", out var output))
            CollectGenerated(output);
    }

    /// <summary>Built-in tool calls are output items of their own type; each is billed per call.</summary>
    private static long CountItems(JsonElement response, string type)
    {
        if (!response.TryGetProperty("output", out var output) || output.ValueKind != JsonValueKind.Array) return 0;
        long count = 0;
        foreach (var item in output.EnumerateArray())
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.ValueEquals(type))
                count++;
        return count;
    }
}
