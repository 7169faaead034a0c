using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace TokenOps.Core.Pricing;

/// <summary>
/// "sha256:" + the first 16 hex digits of SHA-256 over the catalog bytes, followed (only when overrides exist) by a NUL
/// and a canonical JSON form of the overrides: sorted by model (ordinal), fixed field order, decimals without trailing
/// zeros. Without overrides the version is simply the prefix of the catalog file's SHA-256.
/// </summary>
internal static class CatalogVersion
{
    private const string DecimalFormat = "0.############################";

    public static string Compute(ReadOnlySpan<byte> catalog, IReadOnlyDictionary<string, PriceOverride>? overrides)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(catalog);
        if (overrides is { Count: > 0 })
        {
            hash.AppendData([0]);
            hash.AppendData(Canonical(overrides).Span);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static ReadOnlyMemory<byte> Canonical(IReadOnlyDictionary<string, PriceOverride> overrides)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (model, o) in overrides.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject(model);
                Write(w, "in", o.InputPerMTok);
                Write(w, "out", o.OutputPerMTok);
                Write(w, "cr", o.CacheReadPerMTok);
                Write(w, "cw5m", o.CacheWrite5mPerMTok);
                Write(w, "cw1h", o.CacheWrite1hPerMTok);
                Write(w, "rsn", o.ReasoningPerMTok);
                Write(w, "bin", o.BatchInputPerMTok);
                Write(w, "bout", o.BatchOutputPerMTok);
                WriteText(w, "provider", o.Provider);
                WriteText(w, "mode", o.Mode);
                if (o.MaxOutputTokens is { } max)
                {
                    w.WriteNumber("maxOut", max);
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static void WriteText(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void Write(Utf8JsonWriter w, string name, decimal? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v.ToString(DecimalFormat, CultureInfo.InvariantCulture));
        }
    }
}
