using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Pipeline;

/// <summary>Reads X-TokenOps-Project / -Feature / -Ticket / -PR / -Tags ("k=v,k2=v2"). Tags are stored sorted.</summary>
public sealed class AttributeStage
{
    private const int MaxLength = 200;

    public void Run(ProxyContext context)
    {
        var h = context.Http.Request.Headers;
        context.Attribution = new Attribution(
            Value(h, "X-TokenOps-Project"), Value(h, "X-TokenOps-Feature"), Value(h, "X-TokenOps-Ticket"),
            Value(h, "X-TokenOps-PR"), Tags(Value(h, "X-TokenOps-Tags")));
    }

    private static string? Value(IHeaderDictionary headers, string name)
    {
        var value = headers[name].ToString().Trim();
        if (value.Length == 0) return null;
        if (value.Length > MaxLength) throw GatewayException.BadRequest("invalid_header", $"{name} is longer than {MaxLength} characters.");
        return value;
    }

    private static string? Tags(string? raw)
    {
        if (raw is null) return null;
        var pairs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw GatewayException.BadRequest("invalid_header", $"X-TokenOps-Tags must be k=v pairs separated by commas; '{part}' is not.");
            pairs[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        return string.Join(',', pairs.Select(p => $"{p.Key}={p.Value}"));
    }
}
