using System.Globalization;
using TokenOps.Core.Planning;
using TokenOps.Core.Pricing;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Gateway.Pipeline;
using TokenOps.Storage;

namespace TokenOps.Cli.Demo;

/// <summary>
/// One line of what-if for the demo: the payments team's requests of the simulated weeks repriced onto Claude Haiku 4.5
/// (as `tokenops whatif --team payments --model claude-haiku-4-5` would), beside what they cost.
/// </summary>
internal static class DemoWhatIf
{
    public const string Team = "payments";
    public const string Model = "claude-haiku-4-5";

    public static void Print(IServiceProvider services, DateTimeOffset since, DateTimeOffset asOf, TextWriter output)
    {
        var catalog = services.GetRequiredService<ModelRouterHolder>().Current.Catalog;
        if (!catalog.TryGet(Model, out var target)) return;
        var query = WhatIfRepricer.Query(target, since, asOf, Team, null);
        var report = new WhatIfRepricer(catalog).Reprice(target, query, services.GetRequiredService<IPlanningQueries>().WhatIfCells(query));
        var t = report.Total;
        var gaps = report.Gaps.Where(g => g.Certain).Sum(g => g.Requests);
        var factors = report.Factors.Count == 0 ? "" : $"; token counts x{string.Join("/", report.Factors.Select(f => f.Factor.ToString("0.##", CultureInfo.InvariantCulture)))} for other tokenizers";
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"What if: team {Team} on {Model}, {since:yyyy-MM-dd} to {asOf:yyyy-MM-dd}: {Usd(t.WhatIfNanos)} instead of {Usd(t.CurrentNanos)} ({t.Requests} requests, {gaps} it could not serve{factors}; tokenops whatif --team {Team} --model {Model})"));
    }

    private static string Usd(long nanos) => NanoUsd.ToUsd(nanos).ToString("$#,##0.0000", CultureInfo.InvariantCulture);
}
