using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.OpenAI;

/// <summary>
/// <c>POST /v1/moderations</c>: one result per input (a string, or each element of an array), never flagged, in the
/// API's shape. Free, like the real endpoint: nothing goes on the bill.
/// </summary>
internal sealed class ModerationsEndpoint(SimHost host)
{
    private static readonly string[] Categories = ["harassment", "hate", "illicit", "self-harm", "sexual", "violence"];

    public async Task HandleAsync(HttpContext context)
    {
        if (!await OpenAIRequest.AuthenticateAsync(context, host.Options))
        {
            return;
        }

        using var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        using var document = await OpenAIRequest.ParseAsync(context, body);
        if (document is null)
        {
            return;
        }

        var root = document.RootElement;
        var inputs = root.Prop("input"u8) switch
        {
            { ValueKind: JsonValueKind.String } => 1,
            { ValueKind: JsonValueKind.Array } array => array.GetArrayLength(),
            _ => -1,
        };
        if (inputs < 1)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Missing required parameter: 'input'.", param: "input", code: "missing_required_parameter");
            return;
        }

        var model = root.StringProp("model"u8) is { Length: > 0 } named ? named : "omni-moderation-latest";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id"u8, host.NewId("modr-"));
            json.WriteString("model"u8, model);
            json.WriteStartArray("results"u8);
            for (var i = 0; i < inputs; i++)
            {
                json.WriteStartObject();
                json.WriteBoolean("flagged"u8, false);
                json.WriteStartObject("categories"u8);
                foreach (var c in Categories) json.WriteBoolean(c, false);
                json.WriteEndObject();
                json.WriteStartObject("category_scores"u8);
                foreach (var c in Categories) json.WriteNumber(c, 0.0001);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers["x-request-id"] = host.NewId("req_");
        await context.Response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted);
    }
}
