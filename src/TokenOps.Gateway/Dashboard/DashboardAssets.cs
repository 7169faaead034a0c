using System.Collections.Frozen;

namespace TokenOps.Gateway.Dashboard;

/// <summary>The dashboard's static files (one HTML page, one script, one stylesheet), embedded in this assembly: no CDN, no network.</summary>
internal static class DashboardAssets
{
    private static readonly FrozenDictionary<string, (byte[] Bytes, string ContentType)> Files = new Dictionary<string, (byte[], string)>
    {
        ["/"] = (Load("index.html"), "text/html; charset=utf-8"),
        ["/dashboard/app.js"] = (Load("app.js"), "text/javascript; charset=utf-8"),
        ["/dashboard/app.css"] = (Load("app.css"), "text/css; charset=utf-8"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private const string Csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static void Map(WebApplication app)
    {
        foreach (var (path, file) in Files)
        {
            app.MapGet(path, (HttpContext http) =>
            {
                var h = http.Response.Headers;
                h.ContentSecurityPolicy = Csp;
                h.XContentTypeOptions = "nosniff";
                h.CacheControl = "no-cache";
                h["Referrer-Policy"] = "no-referrer";
                return Results.Bytes(file.Bytes, file.ContentType);
            });
        }
    }

    private static byte[] Load(string name)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream("TokenOps.Dashboard." + name)
            ?? throw new InvalidOperationException($"The dashboard asset {name} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
