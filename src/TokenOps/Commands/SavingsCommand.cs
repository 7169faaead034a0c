using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Exports;
using TokenOps.Core.Pricing;
using TokenOps.Core.Reporting;
using TokenOps.Core.Savings;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops savings --by lever|team|person|project|model --period … --format table|json|csv`: what the levers (routing,
/// degrade, caps, prompt-cache help, response cache, batch) saved against the requests as their clients asked, beside
/// what they cost. Read through <see cref="ISavingsQueries"/>, so the figures are the dashboard's and reconcile with
/// `tokenops ledger`: the levers' savings add up to the total, which is as-asked − cost. As-asked is an estimate and is
/// labelled so in every format.
/// </summary>
internal static class SavingsCommand
{
    private static readonly string[] Dimensions = ["lever", "team", "person", "project", "model"];

    /// <summary>What every format says about the as-asked figure.</summary>
    internal const string EstimateNote =
        "As asked is an estimate: the same tokens priced as the client asked (the model it named, its own output limit, no cache breakpoints added); saved = as asked - cost.";

    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var by = new Option<string>("--by") { Description = "Group by: " + string.Join(", ", Dimensions) + " (model: the model that served)", DefaultValueFactory = _ => "lever" };
        by.AcceptOnlyFromAmong(Dimensions);
        var filters = new RollupFilterOptions("Only this (served) model");
        var command = new Command("savings", "What routing, degrades, caps, prompt-cache help, the response cache and batch saved (estimated), by lever, team, person, project or model")
        {
            data, config, by,
        };
        foreach (var o in filters.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var dim = parse.GetValue(by) ?? "lever";
            var (p, filter) = filters.Read(parse);
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var report = storage.Savings.Report(filter, Enum.Parse<SavingsDimension>(dim, ignoreCase: true));
            Console.Out.Write((filters.FormatOf(parse)) switch
            {
                "json" => Json(report, dim, p),
                "csv" => Csv(report, dim),
                _ => Table(report, dim, p),
            });
            return 0;
        });
        return command;
    }

    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    private static string Key(string key) => key.Length == 0 ? "(none)" : key;

    private static string Usd(long nanos) => NanoUsd.ToUsd(nanos).ToString("0.000000000", Ci);

    private static string Column(string lever) => "saved_" + lever.Replace('-', '_') + "_nanos";

    /// <summary>A share in percent with one decimal, or "-" when the whole is not positive.</summary>
    private static string Share(long part, long whole) => whole > 0 ? ((decimal)part * 100 / whole).ToString("0.0", Ci) + "%" : "-";

    internal static string Table(SavingsReport report, string dim, ReportPeriod p)
    {
        var sb = new StringBuilder();
        sb.Append(Ci, $"Savings by {dim}, {p.From.UtcDateTime:yyyy-MM-dd HH:mm} to {p.To.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({p.Label})\n");
        var t = report.Total;
        if (report.By == SavingsDimension.Lever)
        {
            sb.Append(Ci, $"{"LEVER",-18} {"REQUESTS",9} {"SAVED USD (EST.)",17} {"SHARE",7}\n");
            foreach (var l in report.Levers)
                sb.Append(Ci, $"{l.Lever,-18} {l.Requests,9} {NanoUsd.ToUsd(l.SavedNanos),17:0.000000} {Share(l.SavedNanos, t.SavedNanos),7}\n");
            sb.Append("(requests: those the lever applied to; a request can have several levers)\n");
        }
        else
        {
            var width = Math.Min(40, Math.Max(dim.Length, report.Rows.Select(r => Key(r.Key).Length).DefaultIfEmpty(0).Max()));
            sb.Append(Ci, $"{dim.ToUpperInvariant().PadRight(width)} {"REQUESTS",9} {"LEVERED",8} {"MOVED",7} {"COST USD",14} {"AS ASKED USD (EST.)",20} {"SAVED USD (EST.)",17} {"SAVED",7}\n");
            foreach (var r in report.Rows)
            {
                var key = Key(r.Key);
                if (key.Length > width) key = key[..(width - 1)] + "…";
                sb.Append(Ci, $"{key.PadRight(width)} {r.Requests,9} {r.LeveredRequests,8} {r.MovedRequests,7} {NanoUsd.ToUsd(r.CostNanos),14:0.000000} " +
                    $"{NanoUsd.ToUsd(r.AsAskedNanos),20:0.000000} {NanoUsd.ToUsd(r.SavedNanos),17:0.000000} {Share(r.SavedNanos, r.AsAskedNanos),7}\n");
            }
        }
        sb.Append(Ci, $"Total: {t.Requests} requests, {t.LeveredRequests} with a lever, {t.MovedRequests} moved to a cheaper model ({Share(t.MovedRequests, t.Requests)}); ");
        sb.Append(Ci, $"cost {NanoUsd.ToUsd(t.CostNanos):0.000000} USD, as asked {NanoUsd.ToUsd(t.AsAskedNanos):0.000000} USD (estimate), ");
        sb.Append(Ci, $"saved {NanoUsd.ToUsd(t.SavedNanos):0.000000} USD (estimate, {Share(t.SavedNanos, t.AsAskedNanos)} of as asked)\n");
        sb.Append(EstimateNote).Append('\n');
        return sb.ToString();
    }

    internal static string Json(SavingsReport report, string dim, ReportPeriod p)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("by", dim);
            w.WriteString("from", p.From);
            w.WriteString("to", p.To);
            w.WriteString("period", p.Label);
            w.WriteString("note", EstimateNote);
            w.WriteStartArray("rows");
            if (report.By == SavingsDimension.Lever)
            {
                foreach (var l in report.Levers)
                {
                    w.WriteStartObject();
                    w.WriteString("key", l.Lever);
                    w.WriteNumber("requests", l.Requests);
                    w.WriteNumber("saved_nanos", l.SavedNanos);
                    w.WriteNumber("saved_usd", NanoUsd.ToUsd(l.SavedNanos));
                    w.WriteEndObject();
                }
            }
            else
            {
                foreach (var r in report.Rows)
                {
                    w.WriteStartObject();
                    w.WriteString("key", Key(r.Key));
                    Figures(w, r);
                    w.WriteEndObject();
                }
            }
            w.WriteEndArray();
            w.WritePropertyName("totals");
            w.WriteStartObject();
            Figures(w, report.Total);
            w.WriteNumber("moved_share", report.Total.Requests == 0 ? 0 : Math.Round((double)report.Total.MovedRequests / report.Total.Requests, 4));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void Figures(Utf8JsonWriter w, SavingsRow r)
    {
        w.WriteNumber("requests", r.Requests);
        w.WriteNumber("requests_with_lever", r.LeveredRequests);
        w.WriteNumber("requests_moved", r.MovedRequests);
        w.WriteNumber("cost_nanos", r.CostNanos);
        w.WriteNumber("cost_usd", NanoUsd.ToUsd(r.CostNanos));
        w.WriteNumber("as_asked_nanos_estimate", r.AsAskedNanos);
        w.WriteNumber("as_asked_usd_estimate", NanoUsd.ToUsd(r.AsAskedNanos));
        w.WriteNumber("saved_nanos", r.SavedNanos);
        w.WriteNumber("saved_usd", NanoUsd.ToUsd(r.SavedNanos));
        foreach (var lever in SavingsLevers.All) w.WriteNumber(Column(lever), r.Saved.Of(lever));
    }

    internal static string Csv(SavingsReport report, string dim)
    {
        var sb = new StringBuilder();
        if (report.By == SavingsDimension.Lever)
        {
            sb.Append("lever,requests,saved_usd,saved_nanos\n");
            foreach (var l in report.Levers)
                sb.Append(Ci, $"{l.Lever},{l.Requests},{Usd(l.SavedNanos)},{l.SavedNanos}\n");
            return sb.ToString();
        }
        sb.Append(dim).Append(",requests,requests_with_lever,requests_moved,cost_usd,cost_nanos,as_asked_usd_estimate,as_asked_nanos_estimate,saved_usd,saved_nanos,")
            .AppendJoin(',', SavingsLevers.All.Select(Column)).Append('\n');
        foreach (var r in report.Rows)
        {
            sb.Append(CsvWriter.Escape(Key(r.Key)))
                .Append(Ci, $",{r.Requests},{r.LeveredRequests},{r.MovedRequests},{Usd(r.CostNanos)},{r.CostNanos},{Usd(r.AsAskedNanos)},{r.AsAskedNanos},{Usd(r.SavedNanos)},{r.SavedNanos},")
                .AppendJoin(',', SavingsLevers.All.Select(l => r.Saved.Of(l).ToString(Ci))).Append('\n');
        }
        return sb.ToString();
    }
}
