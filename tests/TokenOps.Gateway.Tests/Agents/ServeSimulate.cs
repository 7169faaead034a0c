using System.Net.Http.Json;
using System.Text.Json;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Agents;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AgentsCollection : ICollectionFixture<ServeSimulate>, ICollectionFixture<ServeSimulateFamilyFallback>
{
    public const string Name = "agents";
}

/// <summary>
/// The gateway as a user starts it for a try-out: the real `tokenops serve --simulate` executable on a free loopback port,
/// with virtual keys made by `tokenops keys create` beforehand. The ledger is read back with `tokenops ledger`, the
/// provider's bill from the simulator's <c>GET /_sim/bill</c>.
/// </summary>
public class ServeSimulate : IAsyncLifetime
{
    /// <summary>People (and their team) with a key each: one per agent run, so each test reads only its own rows.</summary>
    public static readonly IReadOnlyList<(string Person, string Team)> People =
        [("ada", "platform"), ("bo", "platform"), ("lin", "payments"), ("cy", "growth")];

    private readonly Dictionary<string, string> _keys = [];
    private CliProcess? _serve;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "tokenops-agents", Guid.NewGuid().ToString("N"));
    public Uri GatewayUrl { get; private set; } = null!;
    public Uri SimulatorUrl { get; private set; } = null!;

    public string Key(string person) => _keys[person];

    /// <summary>A tokenops.json for this gateway, or null for none (plain `serve --simulate`).</summary>
    protected virtual string? ConfigJson => null;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        foreach (var (person, team) in People)
        {
            var (exit, stdout, stderr) = await CliProcess.RunAsync("keys", "create", "--person", person, "--team", team, "--data", DataDirectory);
            Assert.True(exit == 0, stderr);
            _keys[person] = stdout.TrimEnd().Split('\n')[^1].Trim();
        }
        string[] args = ["serve", "--simulate", "--urls", "http://127.0.0.1:0", "--data", DataDirectory];
        if (ConfigJson is { } json)
        {
            var config = Path.Combine(DataDirectory, "tokenops.json");
            await File.WriteAllTextAsync(config, json);
            args = [.. args, "--config", config];
        }
        _serve = CliProcess.Start(args);
        var listening = await _serve.WaitForLineAsync("TokenOps gateway listening on ", TimeSpan.FromSeconds(60));
        var simulator = await _serve.WaitForLineAsync("Simulated provider on ", TimeSpan.FromSeconds(30));
        GatewayUrl = new Uri(listening.Split("listening on ")[1].Split(' ')[0]);
        SimulatorUrl = new Uri(simulator.Split("Simulated provider on ")[1].Trim());
    }

    /// <summary>The gateway's base URL without the trailing slash (ANTHROPIC_BASE_URL style).</summary>
    public string BaseUrl => GatewayUrl.ToString().TrimEnd('/');

    /// <summary>Every call the simulated provider billed so far, in order.</summary>
    public async Task<IReadOnlyList<BilledCall>> BillAsync()
    {
        using var http = new HttpClient { BaseAddress = SimulatorUrl, Timeout = TimeSpan.FromSeconds(10) };
        var bill = await http.GetFromJsonAsync<JsonElement>("/_sim/bill");
        return [.. bill.EnumerateArray().Select(BilledCall.From)];
    }

    /// <summary>
    /// The ledger rows of <paramref name="person"/>, read with `tokenops ledger` once every one of
    /// <paramref name="providerIds"/> has its row and the person has at least <paramref name="minimumRows"/> (the gateway
    /// settles just after the client has its answer).
    /// </summary>
    public async Task<IReadOnlyList<AgentLedgerRow>> LedgerAsync(string person, IReadOnlyCollection<string> providerIds, int minimumRows = 0)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var (exit, stdout, stderr) = await CliProcess.RunAsync("ledger", "--data", DataDirectory, "--format", "json");
            Assert.True(exit == 0, stderr);
            var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(AgentLedgerRow.Parse).ToList();
            if ((providerIds.All(id => rows.Any(r => r.ProviderRequestId == id)) && rows.Count(r => r.Person == person) >= minimumRows)
                || DateTime.UtcNow > deadline)
                return [.. rows.Where(r => r.Person == person)];
            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        _serve?.Dispose();
        await Task.Yield();
        try { Directory.Delete(DataDirectory, true); } catch (IOException) { }
    }
}

/// <summary>`serve --simulate` with <c>prices.familyFallback</c> on: a model newer than the catalog is priced as its newest sibling.</summary>
public sealed class ServeSimulateFamilyFallback : ServeSimulate
{
    protected override string? ConfigJson => """{ "prices": { "familyFallback": true } }""";
}

/// <summary>One entry of the simulator's bill.</summary>
public sealed record BilledCall(string Id, string Model, TokenUsage Usage)
{
    public static BilledCall From(JsonElement e)
    {
        var u = e.GetProperty("usage");
        return new BilledCall(e.GetProperty("id").GetString()!, e.GetProperty("model").GetString()!, new TokenUsage
        {
            UncachedInput = u.GetProperty("uncachedInput").GetInt64(),
            CacheRead = u.GetProperty("cacheRead").GetInt64(),
            CacheWrite5m = u.GetProperty("cacheWrite5m").GetInt64(),
            CacheWrite1h = u.GetProperty("cacheWrite1h").GetInt64(),
            Output = u.GetProperty("output").GetInt64(),
            Reasoning = u.GetProperty("reasoning").GetInt64(),
            WebSearchCalls = u.GetProperty("webSearchCalls").GetInt64(),
            WebFetchCalls = u.GetProperty("webFetchCalls").GetInt64(),
        });
    }
}

/// <summary>The fields of a `tokenops ledger --format json` line the agent tests check.</summary>
public sealed record AgentLedgerRow(
    string Route, string? Person, string? Team, string? Project, string? Tags, string? RequestedModel,
    string? ProviderRequestId, long CostNanos, TokenUsage Usage, int Status, bool Estimated, string? ErrorCode, bool PriceEstimated)
{
    public static AgentLedgerRow Parse(string line)
    {
        var r = JsonDocument.Parse(line).RootElement;
        string? S(string name) => r.GetProperty(name).ValueKind == JsonValueKind.Null ? null : r.GetProperty(name).GetString();
        long L(string name) => r.GetProperty(name).GetInt64();
        return new AgentLedgerRow(S("route")!, S("person"), S("team"), S("project"), S("tags"), S("requested_model"),
            S("provider_request_id"), L("cost_nanos"), new TokenUsage
            {
                UncachedInput = L("uncached_input_tokens"),
                CacheRead = L("cache_read_tokens"),
                CacheWrite5m = L("cache_write_5m_tokens"),
                CacheWrite1h = L("cache_write_1h_tokens"),
                Output = L("output_tokens"),
                Reasoning = L("reasoning_tokens"),
                WebSearchCalls = L("web_search_calls"),
                WebFetchCalls = L("web_fetch_calls"),
            }, r.GetProperty("status").GetInt32(), r.GetProperty("estimated").GetBoolean(), S("error_code"), r.GetProperty("price_estimated").GetBoolean());
    }
}

/// <summary>Prices usage with the bundled catalog, as the gateway does.</summary>
public static class CatalogPrice
{
    private static readonly Lazy<PriceCatalog> Catalog = new(() => BundledCatalog.Load());

    public static long Nanos(string model, TokenUsage usage)
    {
        Assert.True(Catalog.Value.TryGet(model, out var price), $"the bundled catalog has no price for {model}");
        return NanoUsd.FromUsd(CostCalculator.Compute(price, usage).Total);
    }

    /// <summary>The catalog's newest priced sibling of a model it does not know (what <c>prices.familyFallback</c> uses).</summary>
    public static ModelPrice Sibling(string model)
    {
        Assert.False(Catalog.Value.TryGet(model, out var known) && known.IsPriced, $"the bundled catalog prices {model}");
        return Catalog.Value.FamilySiblings(model).First();
    }
}
