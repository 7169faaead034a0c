using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using TokenOps.Core.Budgets;
using TokenOps.Gateway.Alerts;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pricing;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops status [--person NAME|--team NAME]`: every budget that applies, with spent, reserved, remaining and reset.
/// Offline it reads the ledger in the data directory (reservations live in the gateway's memory, so RESERVED is "-");
/// with --gateway it asks a running gateway's admin API, which includes requests in flight.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var person = new Option<string?>("--person") { Description = "Budgets that apply to this person (organisation, team, person, poker hand)" };
        var team = new Option<string?>("--team") { Description = "Budgets that apply to this team (organisation, team)" };
        var gateway = new Option<string?>("--gateway") { Description = "A running gateway's URL; the admin token is read from TOKENOPS_ADMIN_TOKEN" };
        var command = new Command("status", "Spent, reserved and remaining budget for a person, a team, or everyone") { person, team, gateway, data, config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var who = parse.GetValue(person);
            var whichTeam = parse.GetValue(team);
            if (who is not null && whichTeam is not null) throw new CliException("give --person or --team, not both", 2);
            IReadOnlyList<BudgetStatusLine> lines;
            IReadOnlyList<string> prices = [];
            var live = parse.GetValue(gateway);
            if (live is not null) lines = await FetchAsync(live, who, whichTeam, cancellationToken);
            else (lines, prices) = Offline(parse.GetValue(data), parse.GetValue(config), who, whichTeam);
            if (lines.Count == 0) Console.WriteLine(who is null && whichTeam is null ? "No budgets configured." : "No budget applies.");
            else Print(lines, live is not null);
            foreach (var line in prices) Console.WriteLine(line);
            return 0;
        });
        return command;
    }

    private static (IReadOnlyList<BudgetStatusLine>, IReadOnlyList<string>) Offline(string? data, string? config, string? person, string? team)
    {
        var options = BudgetsCommand.LoadOptions(config);
        using var storage = CommonOptions.OpenStorage(data, config);
        var prices = PriceLines(data ?? options.DataDirectory, options, storage.SpendQueries);
        var store = storage.Budgets;
        var book = new BudgetBook(store);
        book.Apply(BudgetPolicyBuilder.Build(options, store.List(), store.Version()));
        if (person is not null)
        {
            var found = storage.Keys.People().FirstOrDefault(p => p.Name == person);
            if (found.Name is null) throw new CliException($"no person named '{person}' (see 'tokenops keys list')", 2);
            team = found.Team;
        }
        var annotator = new ForecastAndAlertAnnotator(storage.SpendQueries, storage.Alerts, TimeProvider.System);
        return (BudgetStatus.Lines(book, person, team, TimeProvider.System.GetUtcNow(), [annotator]), prices);
    }

    /// <summary>The prices in force, and a warning naming the models priced by family estimate in the last week.</summary>
    private static IReadOnlyList<string> PriceLines(string dataDirectory, GatewayOptions options, ISpendQueries spend)
    {
        var fallback = options.Pricing.FamilyFallback ? "on" : "off";
        string catalog;
        try
        {
            var loaded = ActiveCatalog.Load(dataDirectory, options.Prices);
            catalog = loaded.Stored is { } stored
                ? string.Create(CultureInfo.InvariantCulture, $"{loaded.Catalog.Version} (stored {stored.StoredAt.UtcDateTime:yyyy-MM-dd}, from {stored.Source})")
                : $"{loaded.Catalog.Version} (bundled)";
        }
        catch (TokenOps.Core.Pricing.PriceCatalogException ex)
        {
            catalog = $"unreadable ({ex.Message})";
        }
        var lines = new List<string> { $"Prices: catalog {catalog}; family fallback {fallback}." };
        var now = TimeProvider.System.GetUtcNow();
        var estimated = spend.EstimatedPrices(now.AddDays(-7), now.AddSeconds(1));
        if (estimated.Count > 0)
        {
            var models = string.Join(", ", estimated.Select(e => string.Create(CultureInfo.InvariantCulture,
                $"{e.Model} x{e.Requests} (${TokenOps.Core.Pricing.NanoUsd.ToUsd(e.CostNanos):0.000000})")));
            lines.Add($"Warning: {estimated.Sum(e => e.Requests)} request(s) in the last 7 days were priced by family estimate (price_estimated): {models}. " +
                "Run 'tokenops prices update' or add their prices under \"prices\" in tokenops.json.");
        }
        return lines;
    }

    private static async Task<IReadOnlyList<BudgetStatusLine>> FetchAsync(string url, string? person, string? team, CancellationToken cancellationToken)
    {
        var token = Environment.GetEnvironmentVariable("TOKENOPS_ADMIN_TOKEN");
        if (string.IsNullOrEmpty(token)) throw new CliException("--gateway needs the admin token in TOKENOPS_ADMIN_TOKEN", 2);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl)) throw new CliException($"--gateway: '{url}' is not an absolute URL", 2);
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var query = person is not null ? $"?person={Uri.EscapeDataString(person)}" : team is not null ? $"?team={Uri.EscapeDataString(team)}" : "";
        try
        {
            using var response = await http.GetAsync("/admin/status" + query, cancellationToken);
            if (!response.IsSuccessStatusCode) throw new CliException($"the gateway answered HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            return await response.Content.ReadFromJsonAsync<List<BudgetStatusLine>>(new JsonSerializerOptions(JsonSerializerDefaults.Web), cancellationToken) ?? [];
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"cannot reach the gateway at {url}: {ex.Message}");
        }
    }

    private static void Print(IReadOnlyList<BudgetStatusLine> lines, bool live)
    {
        Console.WriteLine($"{"BUDGET",-22} {"MODE",-26} {"LIMIT USD",12} {"SPENT",12} {"RESERVED",12} {"REMAINING",12} {"RESETS (UTC)",-17} {"FORECAST AT RESET",-30} ALERTS");
        foreach (var l in lines)
        {
            var reserved = live ? l.ReservedUsd.ToString("0.000000", CultureInfo.InvariantCulture) : "-";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{l.Budget,-22} {l.Mode,-26} {l.LimitUsd,12:0.000000} {l.SpentUsd,12:0.000000} {reserved,12} {l.RemainingUsd,12:0.000000} {l.ResetsAt.UtcDateTime,-17:yyyy-MM-dd HH:mm} {l.Forecast ?? "-",-30} {(l.Alerts.Count == 0 ? "-" : string.Join("; ", l.Alerts))}"));
        }
        if (!live) Console.WriteLine("Spend is read from the ledger; requests in flight are held in the gateway (use --gateway URL to include them).");
    }
}
