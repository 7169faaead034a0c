using System.Text.Json;

namespace TokenOps.Core.Import;

/// <summary>
/// Parses one Codex CLI session file, line by line, in order (REFERENCE.md 2.6). Stateful: <c>turn_context</c> sets
/// the current model, and a <c>token_count</c> event without <c>last_token_usage</c> is the difference of cumulative
/// totals. A token_count that repeats the previous cumulative total (Codex writes some twice) adds nothing.
/// Canonical buckets: Input = input - cached (cached clamped to input), CacheRead = cached, Output includes reasoning.
/// Also accepts <c>codex exec --json</c> <c>turn.completed</c> lines.
/// </summary>
public sealed class CodexSessionParser : IUsageLineParser
{
    /// <summary>The model for sessions that never name one (early Codex logs), as ccusage does.</summary>
    public const string FallbackModel = "gpt-5";
    private readonly StringPool _pool = new();
    private readonly char[] _chars = new char[256];

    /// <summary>Current model (from turn_context); persisted between incremental imports.</summary>
    public string? Model { get; set; }
    /// <summary>Cumulative (input, cached, output, reasoning) seen so far.</summary>
    public (long Input, long Cached, long Output, long Reasoning) Totals { get; set; }
    /// <summary>The session id (session_meta.payload.id), when the file names one.</summary>
    public string? SessionId { get; set; }
    /// <summary>The project: last folder of session_meta.payload.cwd, when the file names one.</summary>
    public string? Project { get; set; }

    public LineKind Parse(ReadOnlySpan<byte> line, out UsageEvent e, out string? error)
    {
        e = default;
        e.CostNanos = -1;
        error = null;
        try
        {
            return ParseJson(line, ref e, ref error);
        }
        catch (JsonException)
        {
            error = "corrupt or truncated JSON";
            return LineKind.Invalid;
        }
    }

    private LineKind ParseJson(ReadOnlySpan<byte> line, ref UsageEvent e, ref string? error)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) { error = "not a JSON object"; return LineKind.Invalid; }
        string? type = null, payloadType = null, model = null, id = null, cwd = null;
        long? timestamp = null;
        (long I, long C, long O, long R)? last = null, total = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("timestamp"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var ts)) timestamp = ts.ToUnixTimeMilliseconds();
            }
            else if (reader.ValueTextEquals("type"u8)) { reader.Read(); type = Str(ref reader); }
            else if (reader.ValueTextEquals("model"u8)) { reader.Read(); model = Str(ref reader); }
            else if (reader.ValueTextEquals("usage"u8)) { reader.Read(); last = ReadUsage(ref reader); }
            else if (reader.ValueTextEquals("payload"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("type"u8)) { reader.Read(); payloadType = Str(ref reader); }
                    else if (reader.ValueTextEquals("model"u8)) { reader.Read(); model = Str(ref reader); }
                    else if (reader.ValueTextEquals("id"u8)) { reader.Read(); id = Str(ref reader); }
                    else if (reader.ValueTextEquals("cwd"u8)) { reader.Read(); cwd = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; if (cwd is null) reader.Skip(); }
                    else if (reader.ValueTextEquals("info"u8))
                    {
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            if (reader.ValueTextEquals("last_token_usage"u8)) { reader.Read(); last = ReadUsage(ref reader); }
                            else if (reader.ValueTextEquals("total_token_usage"u8)) { reader.Read(); total = ReadUsage(ref reader); }
                            else if (reader.ValueTextEquals("model"u8)) { reader.Read(); model = Str(ref reader); }
                            else { reader.Read(); reader.Skip(); }
                        }
                    }
                    else { reader.Read(); reader.Skip(); }
                }
            }
            else { reader.Read(); reader.Skip(); }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0) { error = "corrupt or truncated JSON"; return LineKind.Invalid; }

        if (type == "session_meta")
        {
            if (id is not null) SessionId = id;
            if (cwd is not null) Project = ProjectName.Of(cwd);
            return LineKind.NoUsage;
        }
        if (type == "turn_context") { if (model is not null) Model = model; return LineKind.NoUsage; }
        var isTokenCount = type == "event_msg" && payloadType == "token_count";
        var isExecTurn = type == "turn.completed";
        if (!isTokenCount && !isExecTurn) return LineKind.NoUsage;
        if (isTokenCount && last is null && total is null) return LineKind.NoUsage; // info: null (rate-limit only)
        if (timestamp is null) { error = "timestamp missing or not ISO 8601"; return LineKind.Invalid; }

        (long I, long C, long O, long R) delta;
        if (total is { } t)
        {
            var prev = Totals;
            if (t.I == prev.Input && t.C == prev.Cached && t.O == prev.Output && t.R == prev.Reasoning) return LineKind.Ignored; // repeated event
            delta = last ?? (t.I - prev.Input, t.C - prev.Cached, t.O - prev.Output, t.R - prev.Reasoning);
            Totals = (t.I, t.C, t.O, t.R);
        }
        else
        {
            delta = last!.Value;
        }
        if (delta.I <= 0 && delta.O <= 0 && delta.C <= 0) return LineKind.Ignored;
        var cached = Math.Clamp(delta.C, 0, Math.Max(0, delta.I));
        e.TimestampMs = timestamp.Value;
        e.Model = model ?? Model ?? FallbackModel;
        if (model is not null && isTokenCount) Model ??= model;
        e.SessionId = SessionId;
        e.Project = Project;
        e.Input = Math.Max(0, delta.I) - cached;
        e.CacheRead = cached;
        e.Output = Math.Max(0, delta.O);
        e.Reasoning = Math.Clamp(delta.R, 0, e.Output);
        return LineKind.Usage;
    }

    private static (long, long, long, long)? ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); return null; }
        long i = 0, c = 0, o = 0, r = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("input_tokens"u8) || reader.ValueTextEquals("prompt_tokens"u8)) { reader.Read(); i = Num(ref reader); }
            else if (reader.ValueTextEquals("cached_input_tokens"u8) || reader.ValueTextEquals("cached_tokens"u8)) { reader.Read(); c = Num(ref reader); }
            else if (reader.ValueTextEquals("output_tokens"u8) || reader.ValueTextEquals("completion_tokens"u8)) { reader.Read(); o = Num(ref reader); }
            else if (reader.ValueTextEquals("reasoning_output_tokens"u8)) { reader.Read(); r = Num(ref reader); }
            else { reader.Read(); reader.Skip(); }
        }
        return (i, c, o, r);
    }

    private static long Num(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v) && v > 0 ? v : 0;

    private string? Str(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String) { reader.Skip(); return null; }
        if (reader.ValueSpan.Length > _chars.Length) return reader.GetString();
        var n = reader.CopyString(_chars);
        return _pool.Get(_chars.AsSpan(0, n));
    }
}
