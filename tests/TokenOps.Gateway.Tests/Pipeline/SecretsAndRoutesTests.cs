using System.Text.Json;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;

namespace TokenOps.Gateway.Tests.Pipeline;

public sealed class SecretsAndRoutesTests
{
    /// <summary>
    /// Canary keys: the provider key and a virtual key are used for real traffic and bad traffic, then searched for
    /// in every artefact TokenOps writes: logs, response bodies and headers, the SQLite files and the journal.
    /// </summary>
    [Fact]
    public async Task CanaryKeys_NeverAppearInLogsErrorBodiesOrTheDatabase()
    {
        const string providerCanary = "sk-CANARY-provider-7f3a9e1c5b";
        await using var gateway = await GatewayFixture.StartAsync(simulator: new SimulatorOptions { RequiredApiKey = providerCanary }, providerKey: providerCanary);
        var virtualKey = gateway.CreateKey("canary", "sec");
        var seen = new StringBuilder();
        using var http = gateway.Client(virtualKey);
        foreach (var body in new[]
        {
            """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}""",
            """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hello"}]}""",
            """{"model":"gpt-4o-mini","messages":"broken"}""",
            "{oops",
        })
        {
            using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            seen.Append(response.Headers).Append(await response.Content.ReadAsStringAsync());
        }
        using var failing = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-4o-mini","messages":[]}""", Encoding.UTF8, "application/json"),
        };
        failing.Headers.Add("x-sim-fault", "error:401");
        seen.Append(await (await http.SendAsync(failing)).Content.ReadAsStringAsync());
        using var wrong = gateway.Client(virtualKey[..^2] + "zz");
        seen.Append(await (await wrong.PostAsync("/v1/chat/completions", new StringContent("{}", Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync());

        var rows = await gateway.LedgerAsync(6);
        Assert.Equal(6, rows.Count);
        Assert.Equal(2, gateway.Bill.Entries.Count); // the provider key really reached the provider
        var artefacts = new StringBuilder(seen.ToString());
        foreach (var line in gateway.Logs.Lines) artefacts.AppendLine(line);
        Assert.NotEmpty(gateway.Logs.Lines);
        foreach (var file in Directory.GetFiles(gateway.DataDirectory, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            artefacts.Append(await reader.ReadToEndAsync());
        }
        var all = artefacts.ToString();
        Assert.DoesNotContain(providerCanary, all);
        Assert.DoesNotContain(virtualKey, all);
        Assert.DoesNotContain(virtualKey[..^2] + "zz", all);
        Assert.DoesNotContain(virtualKey[4..20], all);
    }

    [Fact]
    public void SecretType_NeverPrintsItsValue()
    {
        var secret = new TokenOps.Gateway.Configuration.Secret("sk-live-123");
        Assert.Equal("***", secret.ToString());
        Assert.Equal("\"***\"", System.Text.Json.JsonSerializer.Serialize(secret));
        Assert.Equal("sk-live-123", secret.Reveal());
    }

    /// <summary>
    /// Route inventory: every endpoint under /v1 is marked as running through the metered pipeline, every proxied
    /// route in the host's list is mapped, and calling each one (even refused) leaves exactly one ledger row.
    /// </summary>
    [Fact]
    public async Task EveryV1Route_IsMetered_AndLeavesOneLedgerRow()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var all = gateway.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1/", StringComparison.Ordinal) == true).ToList();
        // The one catch-all answers unknown paths with a 404 body (UnknownEndpointTests); every other /v1 route is metered.
        Assert.Single(all, e => e.Metadata.GetMetadata<TokenOps.Gateway.Pipeline.UnknownEndpointAttribute>() is not null);
        // The usage report (POST /v1/tokenops/usage) calls no model: its rows are the events it carries (UsagePushTests).
        Assert.Equal(["/v1/tokenops/usage"], all.Where(e => e.Metadata.GetMetadata<TokenOps.Gateway.UsagePush.UsageReportAttribute>() is not null).Select(e => e.RoutePattern.RawText));
        var endpoints = all.Where(e => e.Metadata.GetMetadata<TokenOps.Gateway.Pipeline.UnknownEndpointAttribute>() is null
            && e.Metadata.GetMetadata<TokenOps.Gateway.UsagePush.UsageReportAttribute>() is null).ToList();
        Assert.NotEmpty(endpoints);
        foreach (var endpoint in endpoints)
            Assert.True(endpoint.Metadata.GetMetadata<MeteredRouteAttribute>() is not null, $"{endpoint.RoutePattern.RawText} skips the metered pipeline");
        var mapped = endpoints.Select(e => e.RoutePattern.RawText).ToHashSet();
        foreach (var route in GatewayHost.ProxiedRoutes) Assert.Contains(route.Path, mapped);

        var key = gateway.CreateKey();
        using var http = gateway.Client(key);
        var calls = 0;
        foreach (var endpoint in endpoints)
        {
            var path = endpoint.RoutePattern.RawText!;
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods;
            using var request = new HttpRequestMessage(new HttpMethod(methods[0]), path);
            if (methods[0] == "POST") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request);
            Assert.True((int)response.StatusCode < 500, $"{path} answered {(int)response.StatusCode}");
            calls++;
        }
        var rows = await gateway.LedgerAsync(calls);
        Assert.Equal(calls, rows.Count);
        Assert.Equal(endpoints.Count, rows.Select(r => r.Route + r.Id).Distinct().Count());
    }

    [Fact]
    public async Task ModelsList_ShowsRoutableModels_InBothShapes()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        var openai = await http.GetStringAsync("/v1/models");
        Assert.Contains("\"gpt-4o-mini\"", openai);
        Assert.DoesNotContain("\"claude-haiku-4-5\"", openai);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Add("anthropic-version", "2023-06-01");
        var anthropic = await (await http.SendAsync(request)).Content.ReadAsStringAsync();
        Assert.Contains("\"claude-haiku-4-5\"", anthropic);
        Assert.Contains("\"has_more\":false", anthropic);
    }

    [Fact]
    public async Task OneModel_IsFoundInBothShapes_AnUnroutedOneIs404_AndEachCallLeavesARow()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using (var doc = JsonDocument.Parse(await http.GetStringAsync("/v1/models/gpt-4o-mini")))
            Assert.Equal(("gpt-4o-mini", "model"), (doc.RootElement.GetProperty("id").GetString(), doc.RootElement.GetProperty("object").GetString()));
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models/claude-haiku-4-5"))
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
            using var doc = JsonDocument.Parse(await (await http.SendAsync(request)).Content.ReadAsStringAsync());
            Assert.Equal(("claude-haiku-4-5", "model"), (doc.RootElement.GetProperty("id").GetString(), doc.RootElement.GetProperty("type").GetString()));
        }
        using (var missing = await http.GetAsync("/v1/models/no-such-model"))
        {
            Assert.Equal(404, (int)missing.StatusCode);
            Assert.Contains("model_not_found", await missing.Content.ReadAsStringAsync());
        }
        using var anonymous = gateway.Client();
        Assert.Equal(401, (int)(await anonymous.GetAsync("/v1/models/gpt-4o-mini")).StatusCode);
        Assert.Equal(4, (await gateway.LedgerAsync(4)).Count(r => r.Route == "gateway.models"));
    }

    [Fact]
    public async Task AdminApi_RequiresTheAdminToken()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var anonymous = gateway.Client();
        Assert.Equal(401, (int)(await anonymous.GetAsync("/admin/keys")).StatusCode);
        using var wrong = gateway.Client("not-the-token");
        Assert.Equal(401, (int)(await wrong.GetAsync("/admin/keys")).StatusCode);
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        using var created = await admin.PostAsync("/admin/keys", new StringContent("""{"person":"zoe","team":"ops"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(201, (int)created.StatusCode);
        var body = await created.Content.ReadAsStringAsync();
        Assert.Contains("\"key\":\"tok_", body);
        var list = await admin.GetStringAsync("/admin/keys");
        Assert.Contains("zoe", list);
        Assert.DoesNotContain("tok_", list.Replace("\"displayPrefix\":\"tok_", "", StringComparison.Ordinal));
    }
}
