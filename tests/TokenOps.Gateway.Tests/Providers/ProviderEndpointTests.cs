using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Tests.Providers;

public sealed class ProviderEndpointTests
{
    private static ProviderEndpoint At(string baseUrl) => new("p", Dialect.OpenAI, new Uri(baseUrl), null, TimeSpan.FromSeconds(5));

    [Theory]
    [InlineData("https://api.example.com", "/v1/responses/resp_1", "https://api.example.com/v1/responses/resp_1")]
    [InlineData("https://api.example.com/v1", "/v1/responses/resp_1", "https://api.example.com/v1/responses/resp_1")]
    [InlineData("https://gw.example.com/openai/v1/", "/v1/chat/completions", "https://gw.example.com/openai/v1/chat/completions")]
    // A query is sent as a query, not escaped into the path (a resumed stream's "?stream=true&starting_after=6" once
    // reached the provider as ".../resp_1%3Fstream=true..." and got a 404).
    [InlineData("https://api.example.com/v1", "/v1/responses/resp_1?stream=true&starting_after=6", "https://api.example.com/v1/responses/resp_1?stream=true&starting_after=6")]
    // A base URL's own query (a deployment's api-version) stays when the route brings none.
    [InlineData("https://az.example.com/openai?api-version=2025-01-01", "/v1/files", "https://az.example.com/openai/v1/files?api-version=2025-01-01")]
    public void UrlFor_JoinsTheBasePath_AndKeepsAQuery(string baseUrl, string route, string expected) =>
        Assert.Equal(expected, At(baseUrl).UrlFor(route).ToString());
}
