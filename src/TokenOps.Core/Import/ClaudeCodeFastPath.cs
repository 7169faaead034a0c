using System.Buffers.Text;
using System.Text;

namespace TokenOps.Core.Import;

/// <summary>
/// The common case of <see cref="ClaudeCodeLineParser"/> without a general JSON reader: one pass over the line's bytes
/// that checks the structure (balanced objects and arrays, terminated strings, keys and separators, literals) and
/// jumps over string contents with a vectorised search, reading only the fields a report needs. Anything unusual
/// (an escaped id or model, a null or non-integer where a count belongs, a timestamp not in the usual
/// <c>YYYY-MM-DDTHH:MM:SS[.fff]Z</c> form, any structural error) returns false and the caller re-parses the line with
/// <see cref="System.Text.Json.Utf8JsonReader"/>, which gives the precise verdict. So this path never decides that a
/// line is bad. It checks structure, not every lexical detail: a malformed number or an invalid escape inside content
/// that is skipped is not noticed (a truncated or cut line always is).
/// </summary>
internal static class ClaudeCodeFastPath
{
    private const int MaxDepth = 64;

    public delegate string Interner(ReadOnlySpan<byte> utf8);

    /// <summary>True when the line was fully understood; <paramref name="kind"/> is then Usage, Ignored or NoUsage.</summary>
    public static bool TryParse(ReadOnlySpan<byte> s, ref UsageEvent e, Interner intern, bool keepIds, out LineKind kind,
        out ulong messageHash, out ulong requestHash)
    {
        kind = LineKind.Invalid;
        messageHash = requestHash = 0;
        var p = 0;
        // A raw control byte is legal only as whitespace between tokens and never inside a string; Claude Code writes
        // compact lines, so any such byte (one vectorised pass) sends the line to the full reader to decide.
        if (s.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0) return false;
        if (!Ws(s, ref p) || s[p] != (byte)'{') return false;
        p++;
        bool hasTimestamp = false, hasUsage = false, hasInput = false, hasOutput = false;
        string? model = null;
        if (!Ws(s, ref p)) return false;
        if (s[p] == (byte)'}') return false; // empty object: let the full parser say NoUsage
        while (true)
        {
            if (!Key(s, ref p, out var key)) return false;
            if (key.SequenceEqual("message"u8))
            {
                if (s[p] != (byte)'{') return false;
                p++;
                if (!Ws(s, ref p)) return false;
                if (s[p] == (byte)'}') { p++; }
                else
                {
                    while (true)
                    {
                        if (!Key(s, ref p, out var mk)) return false;
                        if (mk.SequenceEqual("id"u8))
                        {
                            if (!PlainString(s, ref p, out var id) || id.IsEmpty) return false;
                            messageHash = Hash64.Of(id);
                            if (keepIds) e.MessageId = Encoding.UTF8.GetString(id);
                        }
                        else if (mk.SequenceEqual("model"u8))
                        {
                            if (!PlainString(s, ref p, out var m) || m.IsEmpty) return false;
                            model = intern(m);
                        }
                        else if (mk.SequenceEqual("usage"u8))
                        {
                            if (s[p] != (byte)'{' || !Usage(s, ref p, ref e, ref hasInput, ref hasOutput)) return false;
                            hasUsage = true;
                        }
                        else if (!Skip(s, ref p, 1)) return false;
                        if (!Next(s, ref p, out var end)) return false;
                        if (end) break;
                    }
                }
            }
            else if (key.SequenceEqual("timestamp"u8))
            {
                if (!PlainString(s, ref p, out var ts) || !TryIso(ts, out e.TimestampMs)) return false;
                hasTimestamp = true;
            }
            else if (key.SequenceEqual("sessionId"u8))
            {
                if (!PlainString(s, ref p, out var sid) || sid.IsEmpty) return false;
                e.SessionId = intern(sid);
            }
            else if (key.SequenceEqual("requestId"u8))
            {
                if (!PlainString(s, ref p, out var rid) || rid.IsEmpty) return false;
                requestHash = Hash64.Of(rid, ClaudeCodeLineParser.RequestSeed);
                if (keepIds) e.RequestId = Encoding.UTF8.GetString(rid);
            }
            else if (key.SequenceEqual("costUSD"u8))
            {
                if (!Number(s, ref p, out var raw) || !TryDecimal(raw, out var cost) || cost < 0) return false;
                e.CostNanos = (long)decimal.Round(cost * 1_000_000_000m, 0, MidpointRounding.AwayFromZero);
            }
            else if (key.SequenceEqual("isSidechain"u8))
            {
                if (s[p..].StartsWith("true"u8)) { e.IsSidechain = true; p += 4; }
                else if (s[p..].StartsWith("false"u8)) { p += 5; }
                else return false;
            }
            else if (key.SequenceEqual("version"u8))
            {
                if (!PlainString(s, ref p, out var v) || !ClaudeCodeLineParser.IsSemverPrefixed(v)) return false;
            }
            else if (key.SequenceEqual("cwd"u8))
            {
                // Escaped paths (Windows backslashes) and null go to the full reader.
                if (!PlainString(s, ref p, out var cwd)) return false;
                var name = ProjectName.Of(cwd);
                if (!name.IsEmpty) e.Project = intern(name);
            }
            else if (key.SequenceEqual("isApiErrorMessage"u8) && s[p] == (byte)'n') return false;
            else if (!Skip(s, ref p, 1)) return false;
            if (!Next(s, ref p, out var done)) return false;
            if (done) break;
        }
        // Nothing but whitespace may follow the object.
        if (Ws(s, ref p)) return false;
        if (!hasUsage) { kind = LineKind.NoUsage; return true; }
        if (!hasTimestamp || model is null || !hasInput || !hasOutput) return false;
        e.Model = model;
        kind = model == "<synthetic>" ? LineKind.Ignored : LineKind.Usage;
        return true;
    }

    private static bool Usage(ReadOnlySpan<byte> s, ref int p, ref UsageEvent e, ref bool hasInput, ref bool hasOutput)
    {
        p++; // '{'
        if (!Ws(s, ref p)) return false;
        if (s[p] == (byte)'}') { p++; return true; }
        while (true)
        {
            if (!Key(s, ref p, out var k)) return false;
            if (k.SequenceEqual("input_tokens"u8)) { if (!Count(s, ref p, out e.Input)) return false; hasInput = true; }
            else if (k.SequenceEqual("output_tokens"u8)) { if (!Count(s, ref p, out e.Output)) return false; hasOutput = true; }
            else if (k.SequenceEqual("cache_creation_input_tokens"u8)) { if (!Count(s, ref p, out e.CacheCreation)) return false; }
            else if (k.SequenceEqual("cache_read_input_tokens"u8)) { if (!Count(s, ref p, out e.CacheRead)) return false; }
            else if (k.SequenceEqual("speed"u8))
            {
                if (!PlainString(s, ref p, out var speed)) return false;
                e.Fast = speed.SequenceEqual("fast"u8);
            }
            else if (k.SequenceEqual("cache_creation"u8) && s[p] == (byte)'{')
            {
                p++;
                if (!Ws(s, ref p)) return false;
                if (s[p] == (byte)'}') p++;
                else
                {
                    while (true)
                    {
                        if (!Key(s, ref p, out var ck)) return false;
                        if (ck.SequenceEqual("ephemeral_1h_input_tokens"u8)) { if (!Count(s, ref p, out e.Cache1h)) return false; }
                        else if (!Skip(s, ref p, 3)) return false;
                        if (!Next(s, ref p, out var end)) return false;
                        if (end) break;
                    }
                }
            }
            else if (!Skip(s, ref p, 2)) return false;
            if (!Next(s, ref p, out var done)) return false;
            if (done) break;
        }
        e.Cache1h = Math.Min(e.Cache1h, e.CacheCreation);
        return true;
    }

    /// <summary>Skips whitespace; false at the end of the line.</summary>
    private static bool Ws(ReadOnlySpan<byte> s, ref int p)
    {
        while (p < s.Length && s[p] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') p++;
        return p < s.Length;
    }

    /// <summary>Reads <c>"key"</c> and the colon; leaves p at the value's first byte. Escaped keys are not handled.</summary>
    private static bool Key(ReadOnlySpan<byte> s, ref int p, out ReadOnlySpan<byte> key)
    {
        key = default;
        if (!Ws(s, ref p) || s[p] != (byte)'"' || !Str(s, ref p, out key, out var escaped) || escaped) return false;
        if (!Ws(s, ref p) || s[p] != (byte)':') return false;
        p++;
        return Ws(s, ref p);
    }

    /// <summary>After a member: ',' (more) or the closing brace (end).</summary>
    private static bool Next(ReadOnlySpan<byte> s, ref int p, out bool end)
    {
        end = false;
        if (!Ws(s, ref p)) return false;
        if (s[p] == (byte)',') { p++; return true; }
        if (s[p] == (byte)'}') { p++; end = true; return true; }
        return false;
    }

    /// <summary>At a quote: the raw contents and whether they hold escapes; p after the closing quote.</summary>
    private static bool Str(ReadOnlySpan<byte> s, ref int p, out ReadOnlySpan<byte> value, out bool escaped)
    {
        escaped = false;
        var start = ++p;
        while (true)
        {
            var i = s[p..].IndexOfAny((byte)'"', (byte)'\\');
            if (i < 0) { value = default; return false; }
            p += i;
            if (s[p] == (byte)'"')
            {
                value = s[start..p];
                p++;
                return true;
            }
            escaped = true;
            p += 2;
            if (p >= s.Length) { value = default; return false; }
        }
    }

    private static bool PlainString(ReadOnlySpan<byte> s, ref int p, out ReadOnlySpan<byte> value)
    {
        value = default;
        return s[p] == (byte)'"' && Str(s, ref p, out value, out var escaped) && !escaped;
    }

    private static bool Number(ReadOnlySpan<byte> s, ref int p, out ReadOnlySpan<byte> raw)
    {
        var start = p;
        while (p < s.Length && s[p] is (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E') p++;
        raw = s[start..p];
        return p > start;
    }

    /// <summary>A non-negative whole JSON number that fits a long; anything else goes to the full parser.</summary>
    private static bool Count(ReadOnlySpan<byte> s, ref int p, out long value)
    {
        value = 0;
        if (!Number(s, ref p, out var raw) || raw[0] == (byte)'-') return false;
        if (raw.Length > 1 && raw[0] == (byte)'0') return false;
        return Utf8Parser.TryParse(raw, out value, out var used) && used == raw.Length;
    }

    /// <summary>A JSON number as decimal: plain (0.25) or with an exponent (2.5e-06).</summary>
    private static bool TryDecimal(ReadOnlySpan<byte> raw, out decimal value) =>
        (Utf8Parser.TryParse(raw, out value, out var used) && used == raw.Length)
        || (Utf8Parser.TryParse(raw, out value, out used, 'E') && used == raw.Length);

    /// <summary>Skips one value, checking its structure.</summary>
    private static bool Skip(ReadOnlySpan<byte> s, ref int p, int depth)
    {
        if (depth > MaxDepth || !Ws(s, ref p)) return false;
        switch (s[p])
        {
            case (byte)'"':
                return Str(s, ref p, out _, out _);
            case (byte)'{':
                p++;
                if (!Ws(s, ref p)) return false;
                if (s[p] == (byte)'}') { p++; return true; }
                while (true)
                {
                    if (!Ws(s, ref p) || s[p] != (byte)'"' || !Str(s, ref p, out _, out _)) return false;
                    if (!Ws(s, ref p) || s[p] != (byte)':') return false;
                    p++;
                    if (!Skip(s, ref p, depth + 1)) return false;
                    if (!Next(s, ref p, out var end)) return false;
                    if (end) return true;
                }
            case (byte)'[':
                p++;
                if (!Ws(s, ref p)) return false;
                if (s[p] == (byte)']') { p++; return true; }
                while (true)
                {
                    if (!Skip(s, ref p, depth + 1)) return false;
                    if (!Ws(s, ref p)) return false;
                    if (s[p] == (byte)',') { p++; continue; }
                    if (s[p] == (byte)']') { p++; return true; }
                    return false;
                }
            case (byte)'t': return Literal(s, ref p, "true"u8);
            case (byte)'f': return Literal(s, ref p, "false"u8);
            case (byte)'n': return Literal(s, ref p, "null"u8);
            default:
                return Number(s, ref p, out _);
        }
    }

    private static bool Literal(ReadOnlySpan<byte> s, ref int p, ReadOnlySpan<byte> literal)
    {
        if (!s[p..].StartsWith(literal)) return false;
        p += literal.Length;
        return true;
    }

    /// <summary>UTC <c>YYYY-MM-DDTHH:MM:SS[.f+]Z</c> to Unix milliseconds (fractions beyond ms truncated, as ms is what is kept).</summary>
    private static bool TryIso(ReadOnlySpan<byte> t, out long ms)
    {
        ms = 0;
        if (t.Length < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[^1] != 'Z') return false;
        if (!D(t, 0, 4, out var y) || !D(t, 5, 2, out var mo) || !D(t, 8, 2, out var d) || !D(t, 11, 2, out var h) || !D(t, 14, 2, out var mi) || !D(t, 17, 2, out var sec)) return false;
        var frac = 0;
        if (t.Length > 20)
        {
            if (t[19] != '.') return false;
            var digits = t[20..^1];
            if (digits.IsEmpty) return false;
            for (var i = 0; i < digits.Length; i++)
            {
                if (digits[i] is < (byte)'0' or > (byte)'9') return false;
                if (i < 3) frac = frac * 10 + (digits[i] - '0');
            }
            for (var i = digits.Length; i < 3; i++) frac *= 10;
        }
        else if (t.Length != 20) return false;
        if (y < 1 || mo is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return false;
        ms = (long)(new DateTime(y, mo, d, h, mi, sec, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalMilliseconds + frac;
        return true;
    }

    private static bool D(ReadOnlySpan<byte> t, int at, int n, out int value)
    {
        value = 0;
        for (var i = at; i < at + n; i++)
        {
            if (t[i] is < (byte)'0' or > (byte)'9') return false;
            value = value * 10 + (t[i] - '0');
        }
        return true;
    }
}
