using System.Text.Json;
using TokenOps.Core.Metering;

namespace TokenOps.Gateway.Tests.Agents;

/// <summary>
/// The real Codex CLI (tests/agents, pinned) running `codex exec` through `tokenops serve --simulate`, configured as the
/// README tells a user: a custom model provider with wire_api "responses", base_url the gateway's /v1 and env_key
/// naming the variable that holds a virtual key. The usage Codex reports, priced from the catalog, is the ledger's.
/// </summary>
[Collection(AgentsCollection.Name)]
public sealed class CodexTests(ServeSimulate gateway) : IDisposable
{
    // A model Codex knows (no "model metadata not found" fallback) that the bundled catalog prices.
    private const string Model = "gpt-5.6-luna";
    private const string Person = "lin";

    private readonly string _home = Directory.CreateTempSubdirectory("tokenops-codex-").FullName;

    /// <summary>The config.toml of the README. Plugins and analytics off: with them on, Codex syncs its plugin catalog
    /// from GitHub and ChatGPT and sends analytics at start (the egress trap saw four such connections).</summary>
    public static string Config(string gatewayV1) => $$"""
        model = "{{Model}}"
        model_provider = "tokenops"
        approval_policy = "never"
        sandbox_mode = "read-only"
        check_for_update_on_startup = false

        [analytics]
        enabled = false

        [features]
        plugins = false

        [model_providers.tokenops]
        name = "TokenOps"
        base_url = "{{gatewayV1}}"
        env_key = "TOKENOPS_API_KEY"
        wire_api = "responses"
        http_headers = { "X-TokenOps-Project" = "agent-tests", "X-TokenOps-Tags" = "client=codex" }
        """;

    [Fact]
    public async Task Exec_ReportedUsagePricedFromTheCatalogEqualsTheLedger_AndTheBill()
    {
        using var trap = new EgressTrap();
        var billedBefore = (await gateway.BillAsync()).Count;
        var codexHome = Directory.CreateDirectory(Path.Combine(_home, "codex")).FullName;
        var work = Directory.CreateDirectory(Path.Combine(_home, "work")).FullName;
        await File.WriteAllTextAsync(Path.Combine(codexHome, "config.toml"), Config(gateway.BaseUrl + "/v1"));
        var environment = new Dictionary<string, string>(trap.ProxyEnvironment)
        {
            ["HOME"] = _home,
            ["CODEX_HOME"] = codexHome,
            ["TOKENOPS_API_KEY"] = gateway.Key(Person),
        };

        var run = await ChildProcess.RunAsync(AgentTools.Codex,
            ["exec", "--json", "--skip-git-repo-check", "Reply with one word: hello."],
            environment, work, TimeSpan.FromSeconds(90));

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}. stdout: {run.Stdout} stderr: {run.Stderr}");
        var events = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.DoesNotContain(events, e => Type(e) is "error" or "turn.failed" || (Type(e) == "item.completed" && ItemType(e) == "error"));
        Assert.Contains(events, e => Type(e) == "item.completed" && ItemType(e) == "agent_message");

        // Codex's usage (input includes cached; output includes reasoning) and the web searches it shows as items.
        var turns = events.Where(e => Type(e) == "turn.completed").Select(e => e.GetProperty("usage")).ToList();
        Assert.NotEmpty(turns);
        long Sum(string name) => turns.Sum(u => u.GetProperty(name).GetInt64());
        var reported = new TokenUsage
        {
            UncachedInput = Sum("input_tokens") - Sum("cached_input_tokens"),
            CacheRead = Sum("cached_input_tokens"),
            Output = Sum("output_tokens"),
            Reasoning = Sum("reasoning_output_tokens"),
            WebSearchCalls = events.Count(e => Type(e) == "item.completed" && ItemType(e) == "web_search"),
        };
        Assert.Equal(0, Sum("cache_write_input_tokens")); // OpenAI has no cache-write price; none is reported

        var billed = (await gateway.BillAsync()).Skip(billedBefore).ToList();
        Assert.NotEmpty(billed);
        var rows = await gateway.LedgerAsync(Person, [.. billed.Select(b => b.Id)]);
        Assert.Equal(billed.Select(b => b.Id).Order(), rows.Select(r => r.ProviderRequestId).Order());
        foreach (var row in rows)
        {
            Assert.Equal(("lin", "payments", "agent-tests", "client=codex"), (row.Person, row.Team, row.Project, row.Tags));
            Assert.Equal(("openai.responses", Model, 200, false), (row.Route, row.RequestedModel, row.Status, row.Estimated));
            Assert.Equal(billed.Single(b => b.Id == row.ProviderRequestId).Usage, row.Usage);
        }

        var ledgerNanos = rows.Sum(r => r.CostNanos);
        Assert.True(ledgerNanos > 0);
        Assert.Equal(CatalogPrice.Nanos(Model, reported), ledgerNanos);
        Assert.Equal(billed.Sum(b => CatalogPrice.Nanos(b.Model, b.Usage)), ledgerNanos);
        Assert.Equal(rows.Sum(r => r.Usage.TotalInput), reported.TotalInput);
        Assert.Equal(rows.Sum(r => r.Usage.Reasoning), reported.Reasoning);

        Assert.Empty(trap.Caught);
    }

    private static string? Type(JsonElement e) => e.TryGetProperty("type", out var t) ? t.GetString() : null;

    private static string? ItemType(JsonElement e) =>
        e.TryGetProperty("item", out var item) && item.TryGetProperty("type", out var t) ? t.GetString() : null;

    public void Dispose()
    {
        try { Directory.Delete(_home, true); } catch (IOException) { }
    }
}
