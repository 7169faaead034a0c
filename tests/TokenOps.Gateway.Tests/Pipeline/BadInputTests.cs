using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>Every bad request gets the right 4xx in the route's own error shape, never a 500, and still one ledger row.</summary>
public sealed class BadInputTests(SharedGateway shared) : IClassFixture<SharedGateway>
{
    private GatewayFixture Gateway => shared.Gateway;

    public static TheoryData<string, string, int, string> OpenAICases => new()
    {
        { "/v1/chat/completions", "{not json", 400, "invalid_json" },
        { "/v1/chat/completions", "[1,2]", 400, "invalid_json" },
        { "/v1/chat/completions", """{"messages":[]}""", 400, "missing_model" },
        { "/v1/chat/completions", """{"model":42,"messages":[]}""", 400, "invalid_type" },
        { "/v1/chat/completions", """{"model":"gpt-4o-mini","messages":"hi"}""", 400, "invalid_type" },
        { "/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[],"stream":"yes"}""", 400, "invalid_type" },
        { "/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[],"max_tokens":"many"}""", 400, "invalid_type" },
        { "/v1/chat/completions", """{"model":"no-such-model-xyz","messages":[]}""", 404, "model_not_found" },
        { "/v1/chat/completions", """{"model":"claude-haiku-4-5","messages":[]}""", 400, "wrong_protocol" },
        { "/v1/responses", """{"model":"gpt-4o"}""", 400, "missing_field" },
        { "/v1/embeddings", """{"model":"text-embedding-3-small","input":"x","stream":true}""", 400, "invalid_value" },
        { "/v1/responses", """{"model":"gpt-4o-mini","input":"x","background":"yes"}""", 400, "invalid_type" },
    };

    [Theory]
    [MemberData(nameof(OpenAICases))]
    public async Task OpenAIRoutes_RefuseWithOpenAIErrorShape(string path, string body, int status, string code)
    {
        var key = Gateway.CreateKey("val-" + Guid.NewGuid().ToString("N")[..6], "qa");
        using var http = Gateway.Client(key);
        using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(status, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.True(error.TryGetProperty("type", out _));
        await AssertOneRefusedRow(response, status, code);
    }

    [Theory]
    [InlineData("""{"model":"claude-haiku-4-5","messages":[{"role":"user","content":"hi"}]}""", 400, "missing_field")]
    [InlineData("""{"model":"claude-haiku-4-5","max_tokens":0,"messages":[]}""", 400, "invalid_value")]
    [InlineData("""{"model":"gpt-4o","max_tokens":10,"messages":[]}""", 400, "wrong_protocol")]
    [InlineData("{", 400, "invalid_json")]
    public async Task AnthropicRoute_RefusesWithAnthropicErrorShape(string body, int status, string code)
    {
        var key = Gateway.CreateKey("ant-" + Guid.NewGuid().ToString("N")[..6], "qa");
        using var http = Gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("error", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(code, doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        await AssertOneRefusedRow(response, status, code);
    }

    [Theory]
    [InlineData(null, "missing_api_key")]
    [InlineData("sk-not-a-virtual-key", "invalid_api_key")]
    [InlineData("tok_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "invalid_api_key")]
    public async Task MissingOrWrongKey_Is401(string? key, string code)
    {
        using var http = Gateway.Client(key);
        using var response = await http.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"gpt-4o-mini","messages":[]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains(code, text);
        if (key is not null) Assert.DoesNotContain(key, text);
        await AssertOneRefusedRow(response, 401, code);
    }

    [Fact]
    public async Task RevokedKey_Is401_AnthropicShape()
    {
        var (record, key) = Gateway.Keys.Create("revoked-" + Guid.NewGuid().ToString("N")[..6], "qa");
        using var admin = Gateway.Client(GatewayFixture.AdminToken);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/keys/{record.Id}")).StatusCode);

        using var http = Gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent("""{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", key);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("authentication_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("key_revoked", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task OversizedBody_Is413()
    {
        await using var small = await GatewayFixture.StartAsync(o => o.MaxRequestBodyBytes = 4096);
        var key = small.CreateKey();
        using var http = small.Client(key);
        var body = $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{{new string('a', 10_000)}}"}]}""";
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("request_too_large", await response.Content.ReadAsStringAsync());
        var row = Assert.Single(await small.LedgerAsync(1));
        Assert.Equal((413, LedgerOutcome.Refused), (row.Status, row.Outcome));
        Assert.Empty(small.Bill.Entries);
    }

    [Fact]
    public async Task UnpricedModel_IsRefused_UnlessAllowListed()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Providers["local"] = new() { Kind = "openai", BaseUrl = "http://127.0.0.1:9" };
            o.Models["llama-local"] = new() { Provider = "local" };
        });
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"llama-local","messages":[]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("model_not_priced", await response.Content.ReadAsStringAsync());
    }

    private async Task AssertOneRefusedRow(HttpResponseMessage response, int status, string code)
    {
        var id = response.Headers.GetValues("X-TokenOps-Request-Id").Single();
        var rows = (await Gateway.LedgerAsync()).Where(r => r.Id == id).ToList();
        var row = Assert.Single(rows);
        Assert.Equal((status, LedgerOutcome.Refused, code), (row.Status, row.Outcome, row.ErrorCode));
        Assert.Equal(0, row.CostNanos);
    }
}
