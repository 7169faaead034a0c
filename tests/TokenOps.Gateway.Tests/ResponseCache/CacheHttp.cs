using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.ResponseCache;

/// <summary>Raw requests for the cache tests: the body as sent, the X-TokenOps-Cache header and the answer as received.</summary>
internal static class CacheHttp
{
    public sealed record Answer(int Status, string? Cache, string? RequestId, string ContentType, string Body);

    public static string Chat(string text, string? extra = null, string model = "gpt-4o-mini", bool stream = false) =>
        $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},{{(extra is null ? "" : extra + ",")}}"messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]}""";

    public static async Task<Answer> PostAsync(GatewayFixture gateway, string key, string path, string body, params (string Name, string Value)[] headers)
    {
        using var http = gateway.Client(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (path.Contains("messages", StringComparison.Ordinal)) request.Headers.Add("x-api-key", key);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await http.SendAsync(request);
        return new Answer((int)response.StatusCode,
            response.Headers.TryGetValues("X-TokenOps-Cache", out var c) ? c.Single() : null,
            response.Headers.TryGetValues("X-TokenOps-Request-Id", out var id) ? id.Single() : null,
            response.Content.Headers.ContentType?.MediaType ?? "",
            await response.Content.ReadAsStringAsync());
    }

    public static Task<Answer> ChatAsync(GatewayFixture gateway, string key, string body, params (string Name, string Value)[] headers) =>
        PostAsync(gateway, key, "/v1/chat/completions", body, headers);
}
