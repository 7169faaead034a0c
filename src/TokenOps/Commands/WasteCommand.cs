using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Exports;
using TokenOps.Core.Reporting;
using TokenOps.Core.Waste;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Waste;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops waste [--period P] [--by detector|person|team] [--format table|json|csv] [--detector NAME]`: the waste
/// detectors over the period's ledger rows (one pass, either backend), each finding with who, the evidence rows, the
/// dollars and their formula, and a fix. JSON is one object per finding.
/// </summary>
internal static class WasteCommand
{
    private static readonly string[] Dimensions = ["detector", "person", "team"];
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var period = new Option<string>("--period") { Description = "Period: " + ReportPeriod.Help, DefaultValueFactory = _ => "month" };
        var format = new Option<string>("--format") { Description = "table, json or csv", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv");
        var by = new Option<string>("--by") { Description = "Group by: " + string.Join(", ", Dimensions), DefaultValueFactory = _ => "detector" };
        by.AcceptOnlyFromAmong(Dimensions);
        var detector = new Option<string?>("--detector") { Description = "Only this detector: " + string.Join(", ", WasteDetectors.All.Select(d => d.Name)) };
        detector.AcceptOnlyFromAmong(WasteDetectors.All.Select(d => d.Name).ToArray());
        var command = new Command("waste", "Find the waste: context stuffing, model mismatch, ignored caching, retry-by-vibes, ownerless automation, agent loops, truncation retries, idle allocations; each with dollars and a fix")
        {
            data, config, period, format, by, detector,
        };
        command.SetAction(parse =>
        {
            var spec = parse.GetValue(period) ?? "month";
            if (!ReportPeriod.TryParse(spec, TimeProvider.System.GetUtcNow(), out var p))
                throw new CliException($"--period: '{spec}' is not one of {ReportPeriod.Help}", 2);
            var options = ConfigurationLoader.Load(parse.GetValue(config));
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var catalog = ImportCommand.Catalog(parse.GetValue(data), parse.GetValue(config));
            var context = WasteContextBuilder.Build(p.From, p.To, catalog, options.Routing, storage.Keys, storage.Outcomes, storage.Budgets);
            var only = parse.GetValue(detector);
            var findings = WasteScanner.Run(storage.WasteRows.Read(p.From, p.To), context,
                only is null ? null : WasteDetectors.All.Where(d => d.Name == only));
            var dim = parse.GetValue(by) ?? "detector";
            Console.Out.Write((parse.GetValue(format) ?? "table") switch
            {
                "json" => Json(findings, dim),
                "csv" => Csv(findings, dim),
                _ => Table(findings, dim, p),
            });
            return 0;
        });
        return command;
    }

    internal static string KeyOf(WasteFinding f, string dim) => dim switch
    {
        "person" => f.Person ?? "(none)",
        "team" => f.Team ?? "(none)",
        _ => f.Detector,
    };

    /// <summary>Findings in group order (the dearest group first), dearest first within a group.</summary>
    internal static IEnumerable<IGrouping<string, WasteFinding>> Groups(IReadOnlyList<WasteFinding> findings, string dim) =>
        findings.GroupBy(f => KeyOf(f, dim), StringComparer.Ordinal).OrderByDescending(g => g.Sum(f => f.WastedUsd)).ThenBy(g => g.Key, StringComparer.Ordinal);

    private static string Usd(decimal usd) => usd.ToString("0.000000", Ci);

    internal static string Table(IReadOnlyList<WasteFinding> findings, string dim, ReportPeriod p)
    {
        var sb = new StringBuilder();
        sb.Append(Ci, $"Waste by {dim}, {p.From.UtcDateTime:yyyy-MM-dd HH:mm} to {p.To.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({p.Label})\n");
        if (findings.Count == 0) return sb.Append("No waste found in the period.\n").ToString();
        foreach (var g in Groups(findings, dim))
        {
            sb.Append(Ci, $"\n{g.Key}: {Usd(g.Sum(f => f.WastedUsd))} USD in {g.Count()} finding(s)\n");
            foreach (var f in g)
            {
                sb.Append(Ci, $"  {Usd(f.WastedUsd),12} USD  {f.Detector,-20} {f.Person ?? "-",-16} {f.Team ?? "-",-12} {f.Rows.Count,6} row(s)  {f.Subject}\n");
                sb.Append("      how: ").Append(f.Formula).Append('\n');
                sb.Append("      fix: ").Append(f.Fix).Append('\n');
            }
        }
        sb.Append(Ci, $"\nTotal: {Usd(findings.Sum(f => f.WastedUsd))} USD in {findings.Count} finding(s)\n");
        return sb.ToString();
    }

    internal static string Json(IReadOnlyList<WasteFinding> findings, string dim)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var f in Groups(findings, dim).SelectMany(g => g)) Write(w, f);
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>One finding as JSON (the CLI and the dashboard API write the same object).</summary>
    internal static void Write(Utf8JsonWriter w, WasteFinding f)
    {
        w.WriteStartObject();
        w.WriteString("detector", f.Detector);
        w.WriteString("person", f.Person);
        w.WriteString("team", f.Team);
        w.WriteNumber("wasted_usd", f.WastedUsd);
        w.WriteString("formula", f.Formula);
        w.WriteString("fix", f.Fix);
        w.WriteString("subject", f.Subject);
        w.WriteStartArray("rows");
        foreach (var id in f.Rows) w.WriteStringValue(id);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    internal static string Csv(IReadOnlyList<WasteFinding> findings, string dim)
    {
        var sb = new StringBuilder();
        using var writer = new StringWriter(sb);
        var csv = new CsvWriter(writer);
        csv.WriteRow(["detector", "person", "team", "wasted_usd", "row_count", "rows", "subject", "formula", "fix"]);
        foreach (var f in Groups(findings, dim).SelectMany(g => g))
            csv.WriteRow([f.Detector, f.Person ?? "", f.Team ?? "", f.WastedUsd.ToString(Ci), f.Rows.Count.ToString(Ci), string.Join(' ', f.Rows), f.Subject ?? "", f.Formula, f.Fix]);
        writer.Flush();
        return sb.ToString();
    }
}
