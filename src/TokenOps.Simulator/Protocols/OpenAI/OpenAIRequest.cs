using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Core.Metering;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.OpenAI;

/// <summary>The checks every OpenAI endpoint does before generating: auth, JSON, model, limits, fault.</summary>
internal static class OpenAIRequest
{
    public const string SystemFingerprint = "fp_sim0001";

    /// <summary>
    /// The start every OpenAI endpoint shares: key, body, JSON object, model. Writes the error and returns null at the
    /// first failure; otherwise the caller owns (and disposes) the parsed request.
    /// </summary>
    public static async Task<OpenAIInput?> ReadAsync(HttpContext context, SimulatorOptions options)
    {
        if (!await AuthenticateAsync(context, options))
        {
            return null;
        }

        var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        var document = await ParseAsync(context, body);
        var model = document is null ? null : await ModelAsync(context, document.RootElement);
        if (model is null)
        {
            document?.Dispose();
            body.Dispose();
            return null;
        }

        return new OpenAIInput(body, document!, model);
    }

    /// <summary>Checks <c>Authorization: Bearer &lt;key&gt;</c>; writes the 401 and returns false when it fails.</summary>
    public static async Task<bool> AuthenticateAsync(HttpContext context, SimulatorOptions options)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) || header.Length == bearer.Length)
        {
            await ProtocolErrors.OpenAIAsync(context, 401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error", code: null);
            return false;
        }

        var key = header.AsSpan(bearer.Length).Trim();
        if (options.RequiredApiKey is { } required && !key.SequenceEqual(required))
        {
            var tail = key.Length > 4 ? key[^4..].ToString() : "****";
            await ProtocolErrors.OpenAIAsync(context, 401, $"Incorrect API key provided: ****{tail}.", "invalid_request_error", code: "invalid_api_key");
            return false;
        }

        return true;
    }

    /// <summary>Parses the body as a JSON object; writes the 400 and returns null when it is not one.</summary>
    public static async Task<JsonDocument?> ParseAsync(HttpContext context, RequestBody body)
    {
        try
        {
            var document = JsonDocument.Parse(body.Memory, JsonSettings.DocumentOptions);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
        }
        catch (JsonException)
        {
        }

        await ProtocolErrors.OpenAIAsync(context, 400,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)");
        return null;
    }

    public static async Task<string?> ModelAsync(HttpContext context, JsonElement root)
    {
        if (root.StringProp("model"u8) is { Length: > 0 } model)
        {
            return model;
        }

        await ProtocolErrors.OpenAIAsync(context, 400, "you must provide a model parameter", param: "model");
        return null;
    }

    /// <summary>Reads an optional positive integer limit; on a bad value writes the 400 and returns false.</summary>
    public static async Task<(bool Ok, long? Value)> LimitAsync(HttpContext context, JsonElement root, string name, long minimum)
    {
        var element = root.Prop(System.Text.Encoding.UTF8.GetBytes(name));
        if (!element.IsPresent())
        {
            return (true, null);
        }

        if (element!.Value.ValueKind == JsonValueKind.Number && element.Value.TryGetInt64(out var value) && value >= minimum)
        {
            return (true, value);
        }

        await ProtocolErrors.OpenAIAsync(context, 400,
            $"Invalid '{name}': integer below minimum value. Expected a value >= {minimum}, but got {element.Value.GetRawText()} instead.",
            param: name, code: "integer_below_min_value");
        return (false, null);
    }

    /// <summary>Maps the requested service_tier to the one reported (echoed) and billed.</summary>
    public static async Task<(bool Ok, string Reported, ServiceTier Tier)> ServiceTierAsync(HttpContext context, JsonElement root)
    {
        var requested = root.Prop("service_tier"u8);
        if (!requested.IsPresent())
        {
            return (true, "default", ServiceTier.Standard);
        }

        switch (requested!.Value.ValueKind == JsonValueKind.String ? requested.Value.GetString() : null)
        {
            case "auto" or "default":
                return (true, "default", ServiceTier.Standard);
            case "flex":
                return (true, "flex", ServiceTier.Flex);
            case "priority" or "fast":
                return (true, "priority", ServiceTier.Priority);
            case "scale":
                return (true, "scale", ServiceTier.Standard);
            default:
                await ProtocolErrors.OpenAIAsync(context, 400,
                    $"Invalid value: {requested.Value.GetRawText()}. Supported values are: 'auto', 'default', 'flex', 'scale' and 'priority'.",
                    param: "service_tier", code: "invalid_value");
                return (false, "", ServiceTier.Standard);
        }
    }

    /// <summary>Resolves the fault; writes a 400 for an unknown x-sim-fault, or the injected error. Returns null when the request ends here.</summary>
    public static async Task<SimFault?> FaultAsync(HttpContext context, SimHost host)
    {
        if (!host.TryResolveFault(context, out var fault))
        {
            await ProtocolErrors.OpenAIAsync(context, 400,
                $"Unknown {SimHeaders.Fault} value '{context.Request.Headers[SimHeaders.Fault]}'. {SimHeaders.FaultHelp}",
                param: SimHeaders.Fault);
            return null;
        }

        if (fault.Kind == SimFaultKind.Error)
        {
            await ProtocolErrors.OpenAIAsync(context, fault.Status, ProtocolErrors.OpenAIFaultMessage(fault.Status));
            return null;
        }

        if (fault.Kind == SimFaultKind.Leak)
        {
            LeakFault.AddIdentityHeaders(context);
            if (fault.Status > 0)
            {
                await ProtocolErrors.OpenAIAsync(context, fault.Status, LeakFault.Message(context), code: "invalid_api_key");
                return null;
            }
        }

        return fault;
    }
}

/// <summary>A parsed OpenAI request: the pooled body and the document over it live and die together.</summary>
internal sealed class OpenAIInput(RequestBody body, JsonDocument document, string model) : IDisposable
{
    public JsonElement Root => document.RootElement;
    public string Model { get; } = model;

    public void Dispose()
    {
        document.Dispose();
        body.Dispose();
    }
}
