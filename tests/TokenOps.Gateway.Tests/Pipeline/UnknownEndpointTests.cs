using System.Net;
using System.Text.Json;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>An unknown path under /v1 is a 404 in the protocol's error format naming the path, never an empty body.</summary>
public sealed class UnknownEndpointTests(SharedGateway shared) : IClassFixture<SharedGateway>
{
    [Theory]
    [InlineData("GET", "/v1/nope", 404, "unknown_endpoint", false)]
    [InlineData("POST", "/v1/fine_tuning/jobs", 404, "unknown_endpoint", false)]
    [InlineData("POST", "/v1/messages/nope", 404, "unknown_endpoint", true)]
    [InlineData("GET", "/v1/chat/completions", 405, "method_not_allowed", false)]
    public async Task UnknownPaths_AnswerInTheProtocolsErrorShape_NamingThePath(string method, string path, int status, string code, bool anthropic)
    {
        using var http = shared.Gateway.Client(shared.Gateway.CreateKey());
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (anthropic) request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (anthropic) Assert.Equal("error", doc.RootElement.GetProperty("type").GetString());
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Contains(path, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task KnownEndpoints_AreNotShadowed()
    {
        using var http = shared.Gateway.Client(shared.Gateway.CreateKey());
        using var models = await http.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
    }
}
