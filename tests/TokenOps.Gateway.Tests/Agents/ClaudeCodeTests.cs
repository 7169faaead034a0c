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
public sealed class ClaudeCodeTests(ServeSimulate gateway, ServeSimulateFamilyFallback fallbackGateway) : IDisposable
{
    /// <summary>Claude Code 2.1.328's default model (no --model), newer than the bundled catalog.</summary>
    private const string DefaultModel = "claude-opus-5-5";

    private readonly string _home = Directory.CreateTempSubdirectory("tokenops-claude-").FullName;

    // Claude Code prices these with its own table; for both, its rates are the catalog's (input, output, 5-minute cache
    // write at 1.25x input, cache read at 0.1x input), so its total_cost_usd and the ledger agree exactly.
    [Theory]
    [InlineData("ada", "claude-sonnet-4-5")]
    [InlineData("bo", "claude-haiku-4-5")]
    public async Task OneShot_ReportedCostEqualsTheLedger_AndTheBill(string person, string model)
    {
        var (result, billed, rows) = await RunAsync(gateway, person, model);
        Assert.Equal("success", result.GetProperty("subtype").GetString());
        Assert.False(result.GetProperty("is_error").GetBoolean(), result.ToString());
        AssertRowsAreTheBill(person, model, billed, rows);
        Assert.All(rows, r => Assert.False(r.PriceEstimated));
        var ledgerNanos = rows.Sum(r => r.CostNanos);
        Assert.Equal(billed.Sum(b => CatalogPrice.Nanos(b.Model, b.Usage)), ledgerNanos);

        // The agent's own figure (a binary float such as 0.08332650000000001) is the ledger's, to the nano-dollar.
        Assert.Equal(ledgerNanos, NanoUsd.FromUsd(result.GetProperty("total_cost_usd").GetDecimal()));

        // And its own token counts, priced from the catalog, give the same sum.
        var reported = result.GetProperty("modelUsage").EnumerateObject().ToList();
        Assert.Equal(ledgerNanos, reported.Sum(m => CatalogPrice.Nanos(m.Name, AgentUsage(m.Value))));
    }

    [Fact]
    public async Task NoModel_TheDefaultIsNewerThanTheCatalog_TheUserReadsHowToPriceIt_AndNothingIsBilled()
    {
        var (result, billed, rows) = await RunAsync(gateway, "cy", model: null);
        Assert.True(result.GetProperty("is_error").GetBoolean(), result.ToString());
        var message = result.GetProperty("result").GetString()!;
        Assert.Contains($"The model '{DefaultModel}' has no price", message);
        Assert.Contains("tokenops prices update", message);
        Assert.Contains("familyFallback", message);
        Assert.Empty(billed);
        // Claude Code's "recovery" sends a refused request again without its thinking beta and its deferred tools (six
        // tries in all); each try is one $0 row.
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Equal((400, "model_not_priced", 0L, DefaultModel), (r.Status, r.ErrorCode, r.CostNanos, r.RequestedModel)));
        Assert.Equal(0m, result.GetProperty("total_cost_usd").GetDecimal());
    }

    /// <summary>
    /// With <c>prices.familyFallback</c>, Claude Code's default model runs, priced as the catalog's newest sibling
    /// (claude-opus-5: $5 / $25 per million, 5-minute cache write $6.25) and flagged estimated. Claude Code's own table
    /// has claude-opus-5-5 at $4 / $20 (write $5), so here, and only here, its total_cost_usd is 20% below the ledger's:
    /// the difference is the price, not the tokens, which match the bill exactly.
    /// </summary>
    [Fact]
    public async Task NoModel_WithFamilyFallback_PricedAsTheNewestSibling_ClaudeCodesOwnTableDiffersOnlyInRates()
    {
        var (result, billed, rows) = await RunAsync(fallbackGateway, "ada", model: null);
        Assert.False(result.GetProperty("is_error").GetBoolean(), result.ToString());
        AssertRowsAreTheBill("ada", DefaultModel, billed, rows);
        Assert.All(rows, r => Assert.True(r.PriceEstimated));

        var sibling = CatalogPrice.Sibling(DefaultModel);
        Assert.Equal("claude-opus-5", sibling.Model);
        var reported = result.GetProperty("modelUsage").EnumerateObject().ToList();
        Assert.Equal([DefaultModel], reported.Select(m => m.Name));
        var tokens = AgentUsage(reported[0].Value);
        Assert.Equal(rows.Sum(r => r.CostNanos), NanoUsd.FromUsd(CostCalculator.Compute(sibling, tokens).Total));

        var claudeCodeTable = new ModelPrice { Model = DefaultModel, Provider = "anthropic", Input = 4e-6m, Output = 20e-6m, CacheWrite5m = 5e-6m, CacheRead = 0.4e-6m };
        Assert.Equal(NanoUsd.FromUsd(CostCalculator.Compute(claudeCodeTable, tokens).Total), NanoUsd.FromUsd(result.GetProperty("total_cost_usd").GetDecimal()));
    }

    private async Task<(JsonElement Result, List<BilledCall> Billed, IReadOnlyList<AgentLedgerRow> Rows)> RunAsync(ServeSimulate serve, string person, string? model)
    {
        using var trap = new EgressTrap();
        var billedBefore = (await serve.BillAsync()).Count;
        var work = Directory.CreateDirectory(Path.Combine(_home, "work")).FullName;
        var environment = new Dictionary<string, string>(trap.ProxyEnvironment)
        {
            ["HOME"] = _home,
            ["CLAUDE_CONFIG_DIR"] = Path.Combine(_home, ".claude"),
            ["ANTHROPIC_BASE_URL"] = serve.BaseUrl,
            ["ANTHROPIC_API_KEY"] = serve.Key(person),
            ["ANTHROPIC_CUSTOM_HEADERS"] = "X-TokenOps-Project: agent-tests\nX-TokenOps-Tags: client=claude-code",
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
            ["DISABLE_TELEMETRY"] = "1",
            ["DISABLE_AUTOUPDATER"] = "1",
            ["DISABLE_ERROR_REPORTING"] = "1",
        };
        List<string> args = ["-p", "Reply with one word: hello.", "--output-format", "json"];
        if (model is not null) args.AddRange(["--model", model]);

        var run = await ChildProcess.RunAsync(AgentTools.Claude, args, environment, work, TimeSpan.FromSeconds(90));

        // -p with JSON output exits 1 when the API refused every try; the JSON result still says why.
        Assert.True(run.ExitCode == 0 || (model is null && run.ExitCode == 1), $"exit {run.ExitCode}. stdout: {run.Stdout} stderr: {run.Stderr}");
        var result = JsonDocument.Parse(run.Stdout).RootElement.Clone();
        var billed = (await serve.BillAsync()).Skip(billedBefore).ToList();
        // At least one row either way: the answers, or the refusals (which bill nothing).
        var rows = await serve.LedgerAsync(person, [.. billed.Select(b => b.Id)], minimumRows: 1);
        Assert.Empty(trap.Caught);
        return (result, billed, rows);
    }

    /// <summary>One row per billed call, each with the provider's usage, attributed to the key's person and team and
    /// to the project and client the agent's headers named.</summary>
    private static void AssertRowsAreTheBill(string person, string model, List<BilledCall> billed, IReadOnlyList<AgentLedgerRow> rows)
    {
        Assert.NotEmpty(billed);
        Assert.Equal(billed.Select(b => b.Id).Order(), rows.Select(r => r.ProviderRequestId).Order());
        foreach (var row in rows)
        {
            Assert.Equal((person, ServeSimulate.People.Single(p => p.Person == person).Team), (row.Person, row.Team));
            Assert.Equal(("agent-tests", "client=claude-code"), (row.Project, row.Tags));
            Assert.Equal(("anthropic.messages", model, 200, false), (row.Route, row.RequestedModel, row.Status, row.Estimated));
            Assert.Equal(billed.Single(b => b.Id == row.ProviderRequestId).Usage, row.Usage);
        }
        Assert.True(rows.Sum(r => r.CostNanos) > 0);
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
