using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace TokenOps.Core.Import;

/// <summary>
/// Parses one Claude Code JSONL line (REFERENCE.md 2.2/2.3) with one forward pass of <see cref="Utf8JsonReader"/>:
/// only timestamp, sessionId, requestId, costUSD, isSidechain, version, cwd (the project: its last folder) and message.{id, model, usage} are read; long
/// message content is skipped without materialising strings. Lines without a <c>"usage"</c> object (<see cref="MayHaveUsage"/>) are not
/// parsed at all. Validation follows ccusage: a line is rejected when a known field is literally null, the timestamp
/// does not parse, an id/model is present but empty, or input/output tokens are missing.
/// Most lines take <see cref="ClaudeCodeFastPath"/> (same result, no general JSON reader); the rest are re-parsed here.
/// </summary>
public sealed class ClaudeCodeLineParser(bool keepIds = false, bool fastPath = true) : IUsageLineParser
{
    /// <summary>Lines with usage that the fast path handed to the full JSON reader (unusual shape, or bad).</summary>
    public long FullParses { get; private set; }

    private static readonly byte[] UsageName = "\"usage\""u8.ToArray();
    internal const ulong RequestSeed = 0x5EED_0001;
    private readonly StringPool _pool = new();
    private readonly char[] _chars = new char[512];

    /// <summary>
    /// True when the line can carry usage (cheap vectorised byte search, done before any JSON parsing): a <c>"usage"</c>
    /// name followed by an object, with any JSON whitespace around the colon (<c>"usage": {</c> is as valid as
    /// <c>"usage":{</c>; a filter stricter than the parser silently dropped such lines).
    /// </summary>
    public static bool MayHaveUsage(ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var at = line.IndexOf(UsageName);
            if (at < 0) return false;
            line = line[(at + UsageName.Length)..];
            var rest = line.TrimStart(" \t\r\n"u8);
            if (rest.IsEmpty || rest[0] != (byte)':') continue;
            rest = rest[1..].TrimStart(" \t\r\n"u8);
            if (!rest.IsEmpty && rest[0] == (byte)'{') return true;
        }
    }

    public LineKind Parse(ReadOnlySpan<byte> line, out UsageEvent e, out string? error)
    {
        e = default;
        e.CostNanos = -1;
        error = null;
        if (!MayHaveUsage(line))
        {
            // Not parsed (no usage), but a line cut short by a crash is still worth counting: a JSON object ends in '}'.
            var trimmed = line.TrimEnd(" \t\r"u8);
            if (trimmed.IsEmpty || trimmed[0] != (byte)'{' || trimmed[^1] != (byte)'}')
            {
                error = "corrupt or truncated line";
                return LineKind.Invalid;
            }
            return LineKind.NoUsage;
        }
        if (fastPath && ClaudeCodeFastPath.TryParse(line, ref e, _intern ??= InternUtf8, keepIds, out var fast, out var messageKey, out var requestKey))
        {
            if (fast == LineKind.Usage)
            {
                e.MessageKey = messageKey;
                e.PairKey = messageKey != 0 && requestKey != 0 ? Hash64.Combine(messageKey, requestKey) : 0;
            }
            return fast;
        }
        e = default;
        e.CostNanos = -1;
        FullParses++;
        try
        {
            return ParseJson(line, ref e, out error);
        }
        catch (JsonException)
        {
            error = "corrupt or truncated JSON";
            return LineKind.Invalid;
        }
    }

    private LineKind ParseJson(ReadOnlySpan<byte> line, ref UsageEvent e, out string? error)
    {
        error = null;
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) { error = "not a JSON object"; return LineKind.Invalid; }
        bool hasTimestamp = false, hasUsage = false, hasInput = false, hasOutput = false;
        ulong messageKey = 0, requestHash = 0;
        string? model = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) { error = "message is null"; return LineKind.Invalid; }
                if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("id"u8))
                    {
                        reader.Read();
                        if (!TryId(ref reader, "message.id", out var h, out error, out var id)) return LineKind.Invalid;
                        messageKey = h;
                        e.MessageId = id;
                    }
                    else if (reader.ValueTextEquals("model"u8))
                    {
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.String) { error = "message.model is not a string"; return LineKind.Invalid; }
                        model = Intern(ref reader);
                        if (model.Length == 0) { error = "message.model is empty"; return LineKind.Invalid; }
                    }
                    else if (reader.ValueTextEquals("usage"u8))
                    {
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.StartObject) { error = "message.usage is not an object"; return LineKind.Invalid; }
                        hasUsage = true;
                        if (!ReadUsage(ref reader, ref e, ref hasInput, ref hasOutput, out error)) return LineKind.Invalid;
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else if (reader.ValueTextEquals("timestamp"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var ts)) { error = "timestamp missing or not ISO 8601"; return LineKind.Invalid; }
                e.TimestampMs = ts.ToUnixTimeMilliseconds();
                hasTimestamp = true;
            }
            else if (reader.ValueTextEquals("sessionId"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String) { error = "sessionId is not a string"; return LineKind.Invalid; }
                e.SessionId = Intern(ref reader);
                if (e.SessionId.Length == 0) { error = "sessionId is empty"; return LineKind.Invalid; }
            }
            else if (reader.ValueTextEquals("requestId"u8))
            {
                reader.Read();
                if (!TryId(ref reader, "requestId", out requestHash, out error, out var id)) return LineKind.Invalid;
                e.RequestId = id;
            }
            else if (reader.ValueTextEquals("costUSD"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out var cost) || cost < 0) { error = "costUSD is not a non-negative number"; return LineKind.Invalid; }
                e.CostNanos = (long)decimal.Round(cost * 1_000_000_000m, 0, MidpointRounding.AwayFromZero);
            }
            else if (reader.ValueTextEquals("isSidechain"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.True) e.IsSidechain = true;
                else if (reader.TokenType != JsonTokenType.False) { error = "isSidechain is not a boolean"; return LineKind.Invalid; }
            }
            else if (reader.ValueTextEquals("version"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || !IsSemverPrefixed(reader.ValueSpan)) { error = "version is not a semantic version"; return LineKind.Invalid; }
            }
            else if (reader.ValueTextEquals("cwd"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) { error = "a field is null"; return LineKind.Invalid; }
                if (reader.TokenType == JsonTokenType.String)
                {
                    var name = ProjectName.Of(reader.GetString()!);
                    if (name.Length > 0) e.Project = name;
                }
                else reader.Skip();
            }
            else if (reader.ValueTextEquals("isApiErrorMessage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) { error = "a field is null"; return LineKind.Invalid; }
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0) { error = "corrupt or truncated JSON"; return LineKind.Invalid; }
        if (!hasUsage) return LineKind.NoUsage;
        if (!hasTimestamp) { error = "timestamp missing"; return LineKind.Invalid; }
        if (model is null) { error = "message.model missing"; return LineKind.Invalid; }
        if (!hasInput || !hasOutput) { error = "usage.input_tokens or output_tokens missing"; return LineKind.Invalid; }
        e.Model = model;
        if (model == "<synthetic>") return LineKind.Ignored;
        e.MessageKey = messageKey;
        e.PairKey = messageKey != 0 && requestHash != 0 ? Hash64.Combine(messageKey, requestHash) : 0;
        return LineKind.Usage;
    }

    private static bool ReadUsage(ref Utf8JsonReader reader, ref UsageEvent e, ref bool hasInput, ref bool hasOutput, out string? error)
    {
        error = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("input_tokens"u8)) { reader.Read(); if (!Count(ref reader, out e.Input, "input_tokens", out error)) return false; hasInput = true; }
            else if (reader.ValueTextEquals("output_tokens"u8)) { reader.Read(); if (!Count(ref reader, out e.Output, "output_tokens", out error)) return false; hasOutput = true; }
            else if (reader.ValueTextEquals("cache_creation_input_tokens"u8)) { reader.Read(); if (!Count(ref reader, out e.CacheCreation, "cache_creation_input_tokens", out error)) return false; }
            else if (reader.ValueTextEquals("cache_read_input_tokens"u8)) { reader.Read(); if (!Count(ref reader, out e.CacheRead, "cache_read_input_tokens", out error)) return false; }
            else if (reader.ValueTextEquals("speed"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String) { error = "usage.speed is not a string"; return false; }
                e.Fast = reader.ValueTextEquals("fast"u8);
            }
            else if (reader.ValueTextEquals("cache_creation"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("ephemeral_1h_input_tokens"u8)) { reader.Read(); if (!Count(ref reader, out e.Cache1h, "ephemeral_1h_input_tokens", out error)) return false; }
                    else { reader.Read(); reader.Skip(); }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        e.Cache1h = Math.Min(e.Cache1h, e.CacheCreation);
        return true;
    }

    private static bool Count(ref Utf8JsonReader reader, out long value, string field, out string? error)
    {
        error = null;
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value) && value >= 0) return true;
        value = 0;
        error = $"usage.{field} is not a non-negative integer";
        return false;
    }

    private bool TryId(ref Utf8JsonReader reader, string field, out ulong hash, out string? error, out string? id)
    {
        hash = 0;
        id = null;
        error = null;
        if (reader.TokenType != JsonTokenType.String) { error = $"{field} is not a string"; return false; }
        if (reader.ValueIsEscaped)
        {
            var text = reader.GetString()!;
            hash = Hash64.Of(Encoding.UTF8.GetBytes(text), field == "requestId" ? RequestSeed : 0);
            if (keepIds) id = text;
        }
        else
        {
            hash = Hash64.Of(reader.ValueSpan, field == "requestId" ? RequestSeed : 0);
            if (keepIds) id = Encoding.UTF8.GetString(reader.ValueSpan);
        }
        if (reader.ValueSpan.Length == 0) { error = $"{field} is empty"; return false; }
        return true;
    }

    private ClaudeCodeFastPath.Interner? _intern;

    private string InternUtf8(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > _chars.Length) return Encoding.UTF8.GetString(utf8);
        var n = Encoding.UTF8.GetChars(utf8, _chars);
        return _pool.Get(_chars.AsSpan(0, n));
    }

    private string Intern(ref Utf8JsonReader reader)
    {
        var length = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length > _chars.Length) return reader.GetString()!;
        var n = reader.CopyString(_chars);
        return _pool.Get(_chars.AsSpan(0, n));
    }

    /// <summary>"1.0.0", "2.1.97" and the like: digits '.' digits '.' digits, anything after.</summary>
    internal static bool IsSemverPrefixed(ReadOnlySpan<byte> v)
    {
        for (var part = 0; part < 3; part++)
        {
            if (!Utf8Parser.TryParse(v, out uint _, out var used) || used == 0) return false;
            v = v[used..];
            if (part < 2)
            {
                if (v.IsEmpty || v[0] != (byte)'.') return false;
                v = v[1..];
            }
        }
        return true;
    }
}
