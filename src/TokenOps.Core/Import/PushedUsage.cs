using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;

namespace TokenOps.Core.Import;

/// <summary>
/// One agent request as a developer's machine reports it to the organisation's gateway (<c>POST /v1/tokenops/usage</c>):
/// token buckets, never a price (the gateway prices with its own catalog) and never text. <see cref="Id"/> is the id the
/// local import gives the row (a hash of the provider's message id), so sending it twice adds nothing.
/// </summary>
public sealed record PushedUsage(string Id, string Source, DateTimeOffset Timestamp, string Model, TokenUsage Usage,
    string? SessionId, string? Project, string? RequestId, string? Tags)
{
    public const int MaxEvents = 5_000;
    private const int MaxText = 256;

    public static PushedUsage From(LedgerEntry row) => new(row.Id, row.Source, row.StartedAt, row.RequestedModel ?? row.ServedModel ?? "",
        row.Usage, row.SessionId, row.Project, row.ProviderRequestId, row.Tags);

    /// <summary>The request body for a batch: <c>{"events":[...]}</c>.</summary>
    public static byte[] WriteBatch(IEnumerable<PushedUsage> events)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("events");
            foreach (var e in events)
            {
                w.WriteStartObject();
                w.WriteString("id", e.Id);
                w.WriteString("source", e.Source);
                w.WriteString("timestamp", e.Timestamp.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                w.WriteString("model", e.Model);
                if (e.SessionId is not null) w.WriteString("session_id", e.SessionId);
                if (e.Project is not null) w.WriteString("project", e.Project);
                if (e.RequestId is not null) w.WriteString("request_id", e.RequestId);
                if (e.Tags is not null) w.WriteString("tags", e.Tags);
                w.WriteStartObject("usage");
                w.WriteNumber("input_tokens", e.Usage.UncachedInput);
                w.WriteNumber("cache_read_input_tokens", e.Usage.CacheRead);
                w.WriteNumber("cache_write_5m_input_tokens", e.Usage.CacheWrite5m);
                w.WriteNumber("cache_write_1h_input_tokens", e.Usage.CacheWrite1h);
                w.WriteNumber("output_tokens", e.Usage.Output);
                w.WriteNumber("reasoning_output_tokens", e.Usage.Reasoning);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Reads one event of a batch; a clear reason instead when a field is missing or out of range.</summary>
    public static PushedUsage? Read(JsonElement e, out string? error)
    {
        error = null;
        if (e.ValueKind != JsonValueKind.Object) { error = "an event must be an object"; return null; }
        var id = Text(e, "id");
        if (id is null || id.Length is 0 or > 128 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        { error = "id must be 1-128 letters, digits, '_', '-' or '.'"; return null; }
        var source = Text(e, "source");
        if (source is not ("claude-code" or "codex")) { error = "source must be \"claude-code\" or \"codex\""; return null; }
        if (Text(e, "timestamp") is not { } ts || !DateTimeOffset.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        { error = "timestamp must be an ISO 8601 time"; return null; }
        var model = Text(e, "model");
        if (string.IsNullOrEmpty(model) || model.Length > MaxText) { error = "model is required"; return null; }
        if (!e.TryGetProperty("usage", out var u) || u.ValueKind != JsonValueKind.Object) { error = "usage must be an object"; return null; }
        var counts = new long[6];
        string[] names = ["input_tokens", "cache_read_input_tokens", "cache_write_5m_input_tokens", "cache_write_1h_input_tokens", "output_tokens", "reasoning_output_tokens"];
        for (var i = 0; i < names.Length; i++)
        {
            if (!u.TryGetProperty(names[i], out var v)) continue;
            // A billion tokens in one request is far past any model's window: a typo or an attack, not usage.
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out counts[i]) || counts[i] is < 0 or > 1_000_000_000)
            { error = $"usage.{names[i]} must be a whole number from 0 to 1000000000"; return null; }
        }
        if (counts[5] > counts[4]) { error = "usage.reasoning_output_tokens cannot exceed output_tokens"; return null; }
        var usage = new TokenUsage
        {
            UncachedInput = counts[0], CacheRead = counts[1], CacheWrite5m = counts[2], CacheWrite1h = counts[3], Output = counts[4], Reasoning = counts[5],
        };
        return new PushedUsage(id, source, at, model, usage, Short(e, "session_id"), Short(e, "project"), Short(e, "request_id"), Short(e, "tags"));
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Optional labels: kept when short and free of control characters (they reach tables and CSVs).</summary>
    private static string? Short(JsonElement e, string name) =>
        Text(e, name) is { Length: > 0 and <= MaxText } s && !s.Any(char.IsControl) ? s : null;
}
