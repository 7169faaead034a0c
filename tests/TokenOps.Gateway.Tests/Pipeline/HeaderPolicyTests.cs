using System.Net;
using System.Text;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>
/// What crosses the gateway, seen from the simulated provider's side (its <c>leak</c> fault echoes every request header
/// it received and quotes the key) and from the client's side (cookies and organisation headers sent back).
/// </summary>
public sealed class HeaderPolicyTests
{
    private const string ProviderKey = "sk-proj-Op3rAtOr0123456789abcdefghijKLMNOPqrstuv";

    private static readonly (string Name, string Value)[] Forbidden =
    [
        ("Cookie", "tokenops_session=dashboard-session-id"), ("OpenAI-Organization", "org-client-chosen"), ("OpenAI-Project", "proj_client_chosen"),
        ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Host", "evil.example"), ("Forwarded", "for=203.0.113.9"), ("X-Real-IP", "203.0.113.9"),
        ("Origin", "https://evil.example"), ("X-Custom-Thing", "anything"), ("api-key", "client-azure-key"), ("Proxy-Authorization", "Basic eDp5"),
    ];

    [Fact]
    public async Task OpenAI_ForwardsOnlyAllowedHeaders_AndScrubsTheKeyFromTheRelayedError()
    {
        await using var gateway = await GatewayFixture.StartAsync(providerKey: ProviderKey);
        var key = gateway.CreateKey("hdr", "qa");
        using var http = gateway.Client(key);
        using var request = Chat("/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""", "leak:401");
        foreach (var (name, value) in Forbidden) request.Headers.TryAddWithoutValidation(name, value);
        request.Headers.TryAddWithoutValidation("User-Agent", "OpenAI/Python 1.99.0");
        request.Headers.TryAddWithoutValidation("X-Stainless-Lang", "python");
        request.Headers.TryAddWithoutValidation("X-Stainless-Retry-Count", "0");
        request.Headers.TryAddWithoutValidation("OpenAI-Beta", "assistants=v2");
        request.Headers.TryAddWithoutValidation("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var received = body.ToLowerInvariant();
        foreach (var expected in new[] { "user-agent=openai/python 1.99.0;", "x-stainless-lang=python;", "x-stainless-retry-count=0;", "openai-beta=assistants=v2;", "traceparent=00-" })
            Assert.Contains(expected, received);
        foreach (var (name, value) in Forbidden)
        {
            Assert.DoesNotContain(" " + name.ToLowerInvariant() + "=", received);
            Assert.DoesNotContain(value.ToLowerInvariant(), received);
        }
        Assert.DoesNotContain(key, body);
        AssertNoKeyFragment(body);
        Assert.Contains("[redacted]", body);
        AssertNoIdentityHeaders(response);
    }

    [Fact]
    public async Task Anthropic_ForwardsVersionBetaAndSdkHeaders_NotTheClientsKeyOrCookies()
    {
        await using var gateway = await GatewayFixture.StartAsync(providerKey: ProviderKey);
        var key = gateway.CreateKey("hdr", "qa");
        using var http = gateway.Client();
        using var request = Chat("/v1/messages", """{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", "leak:401");
        request.Headers.Add("x-api-key", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.Add("anthropic-beta", "prompt-caching-2024-07-31");
        request.Headers.Add("x-stainless-package-version", "0.60.0");
        foreach (var (name, value) in Forbidden) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var received = body.ToLowerInvariant();
        foreach (var expected in new[] { "anthropic-version=2023-06-01;", "anthropic-beta=prompt-caching-2024-07-31;", "x-stainless-package-version=0.60.0;" })
            Assert.Contains(expected, received);
        foreach (var (name, _) in Forbidden) Assert.DoesNotContain(" " + name.ToLowerInvariant() + "=", received);
        Assert.DoesNotContain(key, body);
        AssertNoKeyFragment(body);
        AssertNoIdentityHeaders(response);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ProviderCookiesAndOrganisationHeaders_StayAtTheGateway_RateLimitsPass(bool stream)
    {
        await using var gateway = await GatewayFixture.StartAsync(providerKey: ProviderKey);
        using var http = gateway.Client(gateway.CreateKey("hdr", "qa"));
        using var request = Chat("/v1/chat/completions",
            $$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""", "leak");
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertNoIdentityHeaders(response);
        Assert.Equal("499", response.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        Assert.Equal("12", response.Headers.GetValues("openai-processing-ms").Single());
        Assert.True(response.Headers.Contains("x-request-id"));
        Assert.True(response.Headers.Contains("X-TokenOps-Request-Id"));
        Assert.Single(await gateway.LedgerAsync(1));
    }

    [Theory]
    [InlineData("Cookie")]
    [InlineData("cookie*")]
    [InlineData("OpenAI-Organization")]
    [InlineData("openai-*")]
    [InlineData("x-forwarded*")]
    [InlineData("X-Forwarded-For")]
    [InlineData("Authorization")]
    [InlineData("*")]
    [InlineData("x-*-id")]
    public void Config_RefusesToForwardCredentialsCookiesOrProxyHeaders(string header)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenops-fwd-{Guid.NewGuid():N}.json");
        var entry = System.Text.Json.JsonSerializer.Serialize(header);
        File.WriteAllText(path, """{"providers":{"p":{"kind":"openai","baseUrl":"http://127.0.0.1:9","forwardHeaders":["x-ok",""" + entry + "]}}}");
        try
        {
            var ex = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));
            Assert.Contains("providers.p.forwardHeaders", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Config_AcceptsExtraHeaderNamesAndPrefixes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenops-fwd-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"providers":{"p":{"kind":"openai","baseUrl":"http://127.0.0.1:9","forwardHeaders":["X-Vllm-Priority","x-portkey-*"]}}}""");
        try
        {
            Assert.Equal(["X-Vllm-Priority", "x-portkey-*"], ConfigurationLoader.Load(path).Providers["p"].ForwardHeaders);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static HttpRequestMessage Chat(string path, string body, string fault)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-sim-fault", fault);
        return request;
    }

    private static void AssertNoKeyFragment(string body)
    {
        for (var i = 0; i + CredentialScrubber.MinFragment <= ProviderKey.Length; i++)
            Assert.DoesNotContain(ProviderKey.Substring(i, CredentialScrubber.MinFragment), body);
    }

    private static void AssertNoIdentityHeaders(HttpResponseMessage response)
    {
        foreach (var name in new[] { "Set-Cookie", "openai-organization", "openai-project", "anthropic-organization-id" })
        {
            Assert.False(response.Headers.Contains(name), name);
            Assert.False(response.Content.Headers.Contains(name), name);
        }
    }
}
