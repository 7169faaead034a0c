using System.Net;
using System.Text;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Budgets;

/// <summary>Budgets in tokenops.json fail at start naming the key; every proxied route is enforced.</summary>
public sealed class BudgetConfigTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-budget-config", Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData("""{"budgets":{"teams":{"core":{"limitUsd":5,"period":"yearly"}}}}""", "budgets.teams.core.period")]
    [InlineData("""{"budgets":{"people":{"ada":{"limitUsd":5,"mode":"maybe"}}}}""", "budgets.people.ada.mode")]
    [InlineData("""{"budgets":{"projects":{"x":{"limitUsd":5,"mode":"soft","softAction":"shout"}}}}""", "budgets.projects.x.softAction")]
    [InlineData("""{"budgets":{"organisation":{"limitUsd":-1}}}""", "budgets.organisation.limitUsd")]
    [InlineData("""{"budgets":{"timeZone":"Mars/Olympus"}}""", "budgets.timeZone")]
    [InlineData("""{"budgets":{"people":{"ada":{"limitUsd":5,"period":"rolling:7","rollover":true}}}}""", "budgets.people.ada.rollover")]
    [InlineData("""{"budgets":{"organisation":{"limitUsd":10},"teams":{"a":{"limitUsd":6},"b":{"limitUsd":6}}}}""", "budgets.teams")]
    [InlineData("""{"budgets":{"tiers":{"s":{"people":["ada"]},"j":{"people":["ada"]}}}}""", "lists ada, who is already in tier")]
    [InlineData("""{"budgets":{"teams":{"core":{"limitUsd":5,"perod":"daily"}}}}""", "perod")]
    public void BadBudgetConfig_FailsAtStart_NamingTheKey(string json, string named)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "tokenops.json");
        File.WriteAllText(path, json);
        var ex = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));
        Assert.Contains(named, ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void GoodBudgetConfig_Loads()
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "tokenops.json");
        File.WriteAllText(path, """
            {"budgets":{"timeZone":"Europe/Berlin","organisation":{"limitUsd":100,"period":"monthly","rollover":true,"rolloverCeilingUsd":20},
             "teams":{"core":{"limitUsd":60,"period":"monthly"}},"projects":{"x":{"limitUsd":5,"period":"rolling:30"}},
             "tiers":{"junior":{"people":["bob"],"stipend":{"limitUsd":2,"period":"weekly","mode":"soft","softAction":"require-justification"},"allowedModels":["gpt-4o-mini"]}}}}
            """);
        var options = ConfigurationLoader.Load(path);
        var set = TokenOps.Gateway.Budgets.BudgetPolicyBuilder.Build(options, [], 0);
        Assert.Equal(["org", "person:bob", "project:x", "team:core"], set.Configured.Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.Equal("Europe/Berlin", set.Find("org")!.Period.TimeZone.Id);
    }

    public static TheoryData<string, string> Routes() => new()
    {
        { "/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""" },
        { "/v1/responses", """{"model":"gpt-4o-mini","input":"hi"}""" },
        { "/v1/embeddings", """{"model":"text-embedding-3-small","input":"hi"}""" },
        { "/v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""" },
        { "/v1/completions", """{"model":"gpt-3.5-turbo-instruct","prompt":"hi"}""" },
        { "/v1/images/generations", """{"model":"dall-e-3","prompt":"hi"}""" },
        { "/v1/audio/speech", """{"model":"tts-1","input":"hi","voice":"alloy"}""" },
        { "/v1/audio/transcriptions", "form:whisper-1" },
        { "/v1/audio/translations", "form:whisper-1" },
    };

    /// <summary>Every billable route is enforced; the free ones (count_tokens, see CountTokensTests) reserve nothing.</summary>
    [Fact]
    public void RouteInventory_EveryProxiedRouteHasAnEnforcementCase() =>
        Assert.Equal(GatewayHost.ProxiedRoutes.Where(r => r.Billable).Select(r => r.Path).Order(StringComparer.Ordinal),
            Routes().Select(row => (string)row[0]).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task EveryProxiedRoute_IsEnforced(string path, string body)
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["zoe"] = new BudgetOptions { LimitUsd = 0m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey("zoe", "core"));
        // Audio uploads are multipart forms: "form:MODEL" is a form with a short WAV recording.
        using HttpContent content = body.StartsWith("form:", StringComparison.Ordinal)
            ? Protocols.AudioTests.Form(body[5..], TokenOps.Core.Metering.AudioDuration.SilentWav(1000))
            : new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(path, content);
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Contains("person:zoe", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, gateway.Bill.Count);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal((LedgerOutcome.Refused, "budget_exceeded"), (row.Outcome, row.ErrorCode));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
