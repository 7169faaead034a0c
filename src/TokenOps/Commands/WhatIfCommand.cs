using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Exports;
using TokenOps.Core.Planning;
using TokenOps.Core.Pricing;
using TokenOps.Core.Reporting;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pricing;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops whatif --period P --model M [--from MODEL] [--team T] [--format table|json|csv]`: the period's generative
/// requests repriced onto another model with the same token buckets and lanes (<see cref="WhatIfRepricer"/>), per team
/// and model, beside what they cost; the requests M cannot serve; the token-count factor used when M's family counts
/// tokens differently. One grouped ledger read (<see cref="Storage.IPlanningQueries.WhatIfCells"/>).
/// </summary>
internal static class WhatIfCommand
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var period = new Option<string>("--period") { Description = "Period: " + ReportPeriod.Help, DefaultValueFactory = _ => "month" };
        var model = new Option<string>("--model") { Description = "The model to reprice onto (a catalog id, e.g. claude-haiku-4-5)", Required = true };
        var from = new Option<string?>("--from") { Description = "Only requests served by this model" };
        var team = new Option<string?>("--team") { Description = "Only this team" };
        var format = new Option<string>("--format") { Description = "table, json or csv", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv");
        var command = new Command("whatif", "What the period's requests would have cost on another model (same token buckets), and which it could not serve")
        {
            data, config, period, model, from, team, format,
        };
        command.SetAction(parse =>
        {
            var spec = parse.GetValue(period) ?? "month";
            if (!ReportPeriod.TryParse(spec, TimeProvider.System.GetUtcNow(), out var p))
                throw new CliException($"--period: '{spec}' is not one of {ReportPeriod.Help}", 2);
            var options = ConfigurationLoader.Load(parse.GetValue(config));
            var dataDirectory = parse.GetValue(data) ?? options.DataDirectory;
            var catalog = ActiveCatalog.Load(dataDirectory, options.Prices).Catalog;
            var name = parse.GetValue(model)!;
            if (!catalog.TryGet(name, out var target))
                throw new CliException($"--model: '{name}' is not in the price catalog (see 'tokenops prices show --model {name}')", 2);
            if (!target.IsPriced)
                throw new CliException($"--model: '{name}' has no per-token price in the catalog, so nothing can be repriced onto it", 2);
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var query = WhatIfRepricer.Query(target, p.From, p.To, parse.GetValue(team), parse.GetValue(from));
            var report = new WhatIfRepricer(catalog).Reprice(target, query, storage.Planning.WhatIfCells(query));
            Console.Out.Write(parse.GetValue(format) switch
            {
                "json" => Json(report, p, query),
                "csv" => Csv(report),
                _ => Table(report, p, query),
            });
            return 0;
        });
        return command;
    }

    private static decimal Usd(long nanos) => NanoUsd.ToUsd(nanos);

    /// <summary>The delta as a share of the current cost, or "-" when nothing was spent.</summary>
    private static string Share(WhatIfLine l) => l.CurrentNanos > 0 ? ((decimal)l.DeltaNanos * 100 / l.CurrentNanos).ToString("+0.0;-0.0;0.0", Ci) + "%" : "-";

    private static string Scope(WhatIfQuery q) =>
        (q.Team is null ? "" : $", team {q.Team}") + (q.Model is null ? "" : $", served by {q.Model}");

    internal static string Table(WhatIfReport report, ReportPeriod p, WhatIfQuery q)
    {
        var sb = new StringBuilder();
        sb.Append(Ci, $"What if on {report.Target}: {p.From.UtcDateTime:yyyy-MM-dd HH:mm} to {p.To.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({p.Label}){Scope(q)}; generative requests, same token buckets and lanes\n");
        var width = Math.Min(32, Math.Max(5, report.Lines.Select(l => l.Model.Length).DefaultIfEmpty(0).Max()));
        var teamWidth = Math.Min(20, Math.Max(4, report.Lines.Select(l => Key(l.Team).Length).DefaultIfEmpty(0).Max()));
        sb.Append(Ci, $"{"TEAM".PadRight(teamWidth)} {"MODEL".PadRight(width)} {"REQUESTS",9} {"CURRENT USD",13} {"WHAT-IF USD",13} {"DELTA USD",13} {"DELTA",7} {"TOKENS x",8}\n");
        foreach (var l in report.Lines)
            sb.Append(Ci, $"{Cut(Key(l.Team), teamWidth).PadRight(teamWidth)} {Cut(l.Model, width).PadRight(width)} {l.Requests,9} {Usd(l.CurrentNanos),13:0.000000} {Usd(l.WhatIfNanos),13:0.000000} {Usd(l.DeltaNanos),13:+0.000000;-0.000000;0.000000} {Share(l),7} {l.TokenFactor,8:0.00}\n");
        var t = report.Total;
        sb.Append(Ci, $"Total: {t.Requests} requests, current {Usd(t.CurrentNanos):0.000000} USD, on {report.Target} {Usd(t.WhatIfNanos):0.000000} USD (delta {Usd(t.DeltaNanos):+0.000000;-0.000000;0.000000} USD, {Share(t)})\n");
        foreach (var f in report.Factors)
            sb.Append(Ci, $"Token counts differ: {f.Requests} requests counted by {f.FromFamily} are multiplied by {f.Factor:0.###} on {f.ToFamily} (approximate; {f.Basis})\n");
        if (report.Gaps.Count == 0) sb.Append(Ci, $"{report.Target} can serve every request (context window, output limit, reasoning and features checked)\n");
        foreach (var g in report.Gaps)
            sb.Append(Ci, $"Cannot serve{(g.Certain ? "" : " (possibly)")}: {g.Requests} requests, {g.Reason}: {g.Detail}; e.g. {string.Join(", ", g.Examples)}\n");
        return sb.ToString();
    }

    internal static string Json(WhatIfReport report, ReportPeriod p, WhatIfQuery q)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("target", report.Target);
            w.WriteString("from", p.From);
            w.WriteString("to", p.To);
            w.WriteString("period", p.Label);
            if (q.Team is not null) w.WriteString("team", q.Team);
            if (q.Model is not null) w.WriteString("served_by", q.Model);
            w.WriteStartArray("rows");
            foreach (var l in report.Lines)
            {
                w.WriteStartObject();
                w.WriteString("team", l.Team);
                w.WriteString("model", l.Model);
                Figures(w, l);
                w.WriteNumber("token_factor", l.TokenFactor);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WritePropertyName("totals");
            w.WriteStartObject();
            Figures(w, report.Total);
            w.WriteEndObject();
            w.WriteStartArray("token_factors");
            foreach (var f in report.Factors)
            {
                w.WriteStartObject();
                w.WriteString("from_family", f.FromFamily);
                w.WriteString("to_family", f.ToFamily);
                w.WriteNumber("factor", f.Factor);
                w.WriteNumber("requests", f.Requests);
                w.WriteString("basis", f.Basis);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("cannot_serve");
            foreach (var g in report.Gaps)
            {
                w.WriteStartObject();
                w.WriteString("reason", g.Reason);
                w.WriteBoolean("certain", g.Certain);
                w.WriteNumber("requests", g.Requests);
                w.WriteString("detail", g.Detail);
                w.WriteStartArray("examples");
                foreach (var e in g.Examples) w.WriteStringValue(e);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void Figures(Utf8JsonWriter w, WhatIfLine l)
    {
        w.WriteNumber("requests", l.Requests);
        w.WriteNumber("current_nanos", l.CurrentNanos);
        w.WriteNumber("current_usd", Usd(l.CurrentNanos));
        w.WriteNumber("whatif_nanos", l.WhatIfNanos);
        w.WriteNumber("whatif_usd", Usd(l.WhatIfNanos));
        w.WriteNumber("delta_nanos", l.DeltaNanos);
        w.WriteNumber("delta_usd", Usd(l.DeltaNanos));
    }

    internal static string Csv(WhatIfReport report)
    {
        var sb = new StringBuilder("team,model,target,requests,current_usd,whatif_usd,delta_usd,current_nanos,whatif_nanos,token_factor\n");
        foreach (var l in report.Lines)
            sb.Append(CsvWriter.Escape(l.Team)).Append(',').Append(CsvWriter.Escape(l.Model)).Append(',').Append(CsvWriter.Escape(report.Target))
                .Append(Ci, $",{l.Requests},{Usd(l.CurrentNanos):0.000000000},{Usd(l.WhatIfNanos):0.000000000},{Usd(l.DeltaNanos):0.000000000},{l.CurrentNanos},{l.WhatIfNanos},{l.TokenFactor}\n");
        return sb.ToString();
    }

    private static string Key(string team) => team.Length == 0 ? "(none)" : team;

    private static string Cut(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
