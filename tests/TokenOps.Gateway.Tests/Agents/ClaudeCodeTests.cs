using System.Text.Json;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Gateway.Tests.Agents;

/// <summary>
/// The real Claude Code CLI (tests/agents, pinned) in one-shot mode through `tokenops serve --simulate`, configured as
/// the README tells a user: ANTHROPIC_BASE_URL = the gateway, ANTHROPIC_API_KEY = a virtual key, attribution headers
/// in ANTHROPIC_CUSTOM_HEADERS, non-essential traffic off. The cost Claude Code reports is the ledger's to the nano-dollar.
/// </summary>
[Collection(AgentsCollection.Name)]
public sealed class ClaudeCodeTests(ServeSimulate gateway) : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("tokenops-claude-").FullName;

    // Claude Code prices these with its own table; for both, its rates are the catalog's (input, output, 5-minute cache
    // write at 1.25x input, cache read at 0.1x input), so its total_cost_usd and the ledger agree exactly.
    [Theory]
    [InlineData("ada", "claude-sonnet-4-5")]
    [InlineData("bo", "claude-haiku-4-5")]
    public async Task OneShot_ReportedCostEqualsTheLedger_AndTheBill(string person, string model)
    {
        using var trap = new EgressTrap();
        var billedBefore = (await gateway.BillAsync()).Count;
        var work = Directory.CreateDirectory(Path.Combine(_home, "work")).FullName;
        var environment = new Dictionary<string, string>(trap.ProxyEnvironment)
        {
            ["HOME"] = _home,
            ["CLAUDE_CONFIG_DIR"] = Path.Combine(_home, ".claude"),
            ["ANTHROPIC_BASE_URL"] = gateway.BaseUrl,
            ["ANTHROPIC_API_KEY"] = gateway.Key(person),
            ["ANTHROPIC_CUSTOM_HEADERS"] = "X-TokenOps-Project: agent-tests\nX-TokenOps-Tags: client=claude-code",
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
            ["DISABLE_TELEMETRY"] = "1",
            ["DISABLE_AUTOUPDATER"] = "1",
            ["DISABLE_ERROR_REPORTING"] = "1",
        };

        var run = await ChildProcess.RunAsync(AgentTools.Claude,
            ["-p", "Reply with one word: hello.", "--output-format", "json", "--model", model],
            environment, work, TimeSpan.FromSeconds(90));

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}. stdout: {run.Stdout} stderr: {run.Stderr}");
        var result = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal("success", result.GetProperty("subtype").GetString());
        Assert.False(result.GetProperty("is_error").GetBoolean(), run.Stdout);

        var billed = (await gateway.BillAsync()).Skip(billedBefore).ToList();
        Assert.NotEmpty(billed);
        var rows = await gateway.LedgerAsync(person, [.. billed.Select(b => b.Id)]);

        // One row per billed call, each with the provider's usage, attributed to the key's person and team and to the
        // project and client the agent's headers named.
        Assert.Equal(billed.Select(b => b.Id).Order(), rows.Select(r => r.ProviderRequestId).Order());
        foreach (var row in rows)
        {
            Assert.Equal((person, ServeSimulate.People.Single(p => p.Person == person).Team), (row.Person, row.Team));
            Assert.Equal(("agent-tests", "client=claude-code"), (row.Project, row.Tags));
            Assert.Equal(("anthropic.messages", model, 200, false), (row.Route, row.RequestedModel, row.Status, row.Estimated));
            Assert.Equal(billed.Single(b => b.Id == row.ProviderRequestId).Usage, row.Usage);
        }
        var ledgerNanos = rows.Sum(r => r.CostNanos);
        Assert.True(ledgerNanos > 0);
        Assert.Equal(billed.Sum(b => CatalogPrice.Nanos(b.Model, b.Usage)), ledgerNanos);

        // The agent's own figure (a binary float such as 0.08332650000000001) is the ledger's, to the nano-dollar.
        Assert.Equal(ledgerNanos, NanoUsd.FromUsd(result.GetProperty("total_cost_usd").GetDecimal()));

        // And its own token counts, priced from the catalog, give the same sum.
        var reported = result.GetProperty("modelUsage").EnumerateObject().ToList();
        Assert.Equal(ledgerNanos, reported.Sum(m => CatalogPrice.Nanos(m.Name, AgentUsage(m.Value))));
        Assert.Equal(rows.Sum(r => r.Usage.Output), reported.Sum(m => m.Value.GetProperty("outputTokens").GetInt64()));

        Assert.Empty(trap.Caught);
    }

    /// <summary>Claude Code's per-model usage (result.modelUsage) in the ledger's buckets.</summary>
    private static TokenUsage AgentUsage(JsonElement m) => new()
    {
        UncachedInput = m.GetProperty("inputTokens").GetInt64(),
        CacheRead = m.GetProperty("cacheReadInputTokens").GetInt64(),
        CacheWrite5m = m.GetProperty("cacheCreationEphemeral5mInputTokens").GetInt64(),
        CacheWrite1h = m.GetProperty("cacheCreationEphemeral1hInputTokens").GetInt64(),
        Output = m.GetProperty("outputTokens").GetInt64(),
        WebSearchCalls = m.GetProperty("webSearchRequests").GetInt64(),
    };

    public void Dispose()
    {
        try { Directory.Delete(_home, true); } catch (IOException) { }
    }
}
