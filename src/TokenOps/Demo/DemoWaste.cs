using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Ledger;
using TokenOps.Core.Waste;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Waste;
using TokenOps.Storage;

namespace TokenOps.Cli.Demo;

/// <summary>The demo's top waste findings over the simulated weeks (as `tokenops waste` would list them), each with dollars and a fix.</summary>
internal static class DemoWaste
{
    public const int Top = 5;

    public static void Print(IServiceProvider services, DateTimeOffset since, DateTimeOffset asOf, TextWriter output)
    {
        var catalog = services.GetRequiredService<ModelRouterHolder>().Current.Catalog;
        var context = WasteContextBuilder.Build(since, asOf, catalog, services.GetRequiredService<GatewayOptions>().Routing,
            services.GetRequiredService<IKeyStore>(), services.GetRequiredService<IOutcomeStore>(), services.GetRequiredService<IBudgetStore>());
        var findings = WasteScanner.Run(services.GetRequiredService<IWasteRowReader>().Read(since, asOf), context);
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Waste: {findings.Count} finding(s), {Usd(findings.Sum(f => f.WastedUsd))} in all (tokenops waste --period 30d); the top {Math.Min(Top, findings.Count)}:"));
        foreach (var f in findings.Take(Top))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Usd(f.WastedUsd),10}  {f.Detector,-20} {f.Person ?? f.Team ?? "-",-12} {f.Rows.Count,5} row(s)  fix: {f.Fix}"));
    }

    private static string Usd(decimal usd) => usd.ToString("$#,##0.0000", CultureInfo.InvariantCulture);
}
