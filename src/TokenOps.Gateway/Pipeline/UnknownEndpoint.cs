using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Any other path under /v1 gets an answer an SDK can show: 404 (or 405 for a known path with another method) in the
/// protocol's error format, naming the method and path, instead of an empty body. The dialect is read from the headers
/// (Anthropic clients send anthropic-version or x-api-key). Nothing is read, forwarded or recorded: no tokens can flow.
/// </summary>
public static class UnknownEndpoint
{
    public static void MapUnknownEndpoints(this WebApplication app, IEnumerable<string> knownPaths)
    {
        var known = new HashSet<string>(knownPaths, StringComparer.OrdinalIgnoreCase);
        app.Map("/v1/{**rest}", async (HttpContext http) =>
        {
            var request = http.Request;
            var dialect = request.Headers.ContainsKey("anthropic-version") || request.Headers.ContainsKey("x-api-key") ? Dialect.Anthropic : Dialect.OpenAI;
            var path = request.Path.Value ?? "/v1";
            var shown = path.Length > 200 ? path[..200] + "…" : path;
            var (status, code, message) = known.Contains(path)
                ? (405, "method_not_allowed", $"{request.Method} is not allowed on {shown}; TokenOps serves it with POST.")
                : (404, "unknown_endpoint", $"TokenOps has no endpoint {request.Method} {shown}. See the README for the endpoints it serves.");
            var body = ErrorBodies.Write(dialect, status, code, message);
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/json";
            http.Response.ContentLength = body.Length;
            await http.Response.Body.WriteAsync(body, http.RequestAborted);
        }).WithMetadata(new UnknownEndpointAttribute());
    }
}

/// <summary>Marks the catch-all under /v1: it serves no model, so the route inventory does not expect it to be metered.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class UnknownEndpointAttribute : Attribute;
