using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Outcomes;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Admin;

/// <summary>
/// No work before authentication: every endpoint that is not proxied checks credentials from the headers before it
/// reads a body, and reads at most its bound. A large upload is answered (401/413) while the client is still sending.
/// </summary>
public sealed class EndpointGuardTests : IAsyncLifetime
{
    private const string GitHubSecretVariable = "TOKENOPS_TEST_GUARD_GITHUB_SECRET";
    private const string TicketSecretVariable = "TOKENOPS_TEST_GUARD_TICKET_SECRET";
    /// <summary>Well above what loopback socket buffers hold, so a server that does not read cannot have been sent it all.</summary>
    private const long Upload = 30L * 1024 * 1024;
    private const long WebhookBound = 40L * 1024 * 1024;
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(GitHubSecretVariable, "guard-gh-secret");
        Environment.SetEnvironmentVariable(TicketSecretVariable, "guard-ticket-secret");
        _gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Outcomes.GitHubSecretEnv = GitHubSecretVariable;
            o.Outcomes.TicketSecretEnv = TicketSecretVariable;
            // Larger than the upload: the webhooks must refuse an unsigned call for its headers, not for its size.
            o.Outcomes.MaxWebhookBodyBytes = WebhookBound;
        });
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Theory]
    [InlineData("POST", "/admin/keys", false, 401)]
    [InlineData("POST", "/admin/keys", true, 401)]
    [InlineData("PUT", "/admin/budgets", false, 401)]
    [InlineData("PUT", "/admin/budgets", true, 401)]
    [InlineData("POST", "/api/dashboard/session", false, 413)] // the key is the body here: only its bound is read
    [InlineData("POST", "/api/dashboard/session", true, 413)]
    [InlineData("POST", OutcomeEndpoints.GitHubPath, false, 401)]
    [InlineData("POST", OutcomeEndpoints.GitHubPath, true, 401)]
    [InlineData("POST", OutcomeEndpoints.TicketsPath, false, 401)]
    [InlineData("POST", OutcomeEndpoints.TicketsPath, true, 401)]
    public async Task WithoutCredentials_ALargeUpload_IsAnsweredBeforeItIsSent(string method, string path, bool chunked, int expected)
    {
        var answer = await RawHttp.UploadAsync(_gateway.BaseUrl, method, path, Upload, chunked);
        Assert.Equal(expected, answer.Status);
        Assert.True(answer.AnsweredEarly, $"answered after {answer.SentWhenAnswered} of {answer.BodyBytes} bytes (finished first: {answer.SenderFinishedFirst})");
        using var error = JsonDocument.Parse(answer.Body);
        Assert.True(error.RootElement.GetProperty("error").TryGetProperty("code", out _));
    }

    [Fact]
    public async Task WithCredentials_OversizedBodies_Are413_WhileSmallOnesStillWork()
    {
        var admin = new[] { ("Authorization", "Bearer " + GatewayFixture.AdminToken) };
        // A chunked admin body is stopped once it passes 1 MiB; a declared 200 MB one is refused before a byte is read.
        var chunked = await RawHttp.UploadAsync(_gateway.BaseUrl, "POST", "/admin/keys", Upload, chunked: true, admin);
        Assert.Equal(413, chunked.Status);
        Assert.True(chunked.AnsweredEarly, $"answered after {chunked.SentWhenAnswered} bytes");
        Assert.Contains("payload_too_large", chunked.Body);
        var declared = await RawHttp.UploadAsync(_gateway.BaseUrl, "PUT", "/admin/budgets", 1024 * 1024, chunked: false, admin, declaredLength: 200L * 1024 * 1024);
        Assert.Equal(413, declared.Status);
        Assert.Contains("payload_too_large", declared.Body);
        var outcome = await RawHttp.UploadAsync(_gateway.BaseUrl, "POST", "/admin/outcomes", Upload, chunked: true, admin);
        Assert.Equal(413, outcome.Status);

        // A webhook with a signature's shape is read up to its bound, then verified; past the bound it is 413.
        var signature = new[] { ("X-Hub-Signature-256", "sha256=" + new string('0', 64)) };
        var webhook = await RawHttp.UploadAsync(_gateway.BaseUrl, "POST", OutcomeEndpoints.GitHubPath, 50L * 1024 * 1024, chunked: false, signature, declaredLength: 50L * 1024 * 1024);
        Assert.Equal(413, webhook.Status);
        Assert.True(webhook.AnsweredEarly);

        // Bodies under the bound reach the endpoints as before.
        using var http = _gateway.Client(GatewayFixture.AdminToken);
        using var created = await http.PostAsJsonAsync("/admin/keys", new { person = "gia", team = "core" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString();
        using var anonymous = _gateway.Client();
        using var signIn = await anonymous.PostAsJsonAsync("/api/dashboard/session", new { key = secret });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        // Proxied routes keep their own, larger limit (maxRequestBodyBytes, 16 MiB): a 2 MiB body is read and judged.
        using var big = new StringContent("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 2 * 1024 * 1024) + "\"}],\"max_tokens\":8}",
            Encoding.UTF8, "application/json");
        using var proxied = await _gateway.Client(secret).PostAsync("/v1/chat/completions", big);
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
    }
}
