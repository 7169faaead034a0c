using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Exports;
using TokenOps.Core.Pricing;
using TokenOps.Core.Reporting;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops report --by team|person|project|model|provider|feature|status|outcome|day|hour --period … --format table|json|csv`:
/// the dashboard's aggregates for scripts and finance, read from the same rollup tables (never a ledger scan).
/// `status` is the ledger row's status (Ok, ProviderError, …); `outcome` is the business outcome (merged PR, resolved
/// ticket, feature) the spend links to, computed from the ledger by <see cref="OutcomeSpendReport"/>.
/// Attached to the `report` command so that report subcommands added elsewhere live beside it.
/// </summary>
public static class RollupReport
{
    private static readonly string[] Dimensions = ["team", "person", "project", "model", "provider", "feature", "status", "outcome", "day", "hour"];

    public static void Attach(Command report)
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config(); // --by outcome: outcomes.fallbackWindowDays, as the outcomes report uses
        var by = new Option<string>("--by") { Description = "Group by: " + string.Join(", ", Dimensions) + " (status: the ledger status, Ok, ProviderError, …; outcome: the business outcome the spend links to, merged PR, ticket, feature, plus unlinked)", DefaultValueFactory = _ => "team" };
        by.AcceptOnlyFromAmong(Dimensions);
        var filters = new RollupFilterOptions();
        foreach (var o in new Option[] { data, config, by }.Concat(filters.All)) report.Options.Add(o);
        report.SetAction(parse =>
        {
            var dim = parse.GetValue(by) ?? "team";
            var (p, read) = filters.Read(parse);
            var filter = read with { HourlyBuckets = dim == "hour" };
            if (dim == "outcome")
                return OutcomeSpendReport.Run(p, parse.GetValue(data), parse.GetValue(config), filter.Team, filter.Person, filter.Project, filter.Model, filters.FormatOf(parse));
            var dimension = dim switch { "day" or "hour" => RollupDimension.Bucket, "status" => RollupDimension.Outcome, _ => Enum.Parse<RollupDimension>(dim, ignoreCase: true) };
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var rows = storage.Rollups.Group(filter, dimension);
            var text = (filters.FormatOf(parse)) switch
            {
                "json" => Json(rows, dim, p),
                "csv" => Csv(rows, dim),
                _ => Table(rows, dim, p),
            };
            Console.Out.Write(text);
            return 0;
        });
    }

    private static readonly string[] Header =
        ["requests", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "cost_usd", "cost_nanos", "cache_hit_requests", "degraded_requests", "error_requests",
         "tool_call_usd", "audio_usd", "image_usd"];

    private static string Key(RollupRow r) => r.Key.Length == 0 ? "(none)" : r.Key;

    private static string Usd(long nanos) => NanoUsd.ToUsd(nanos).ToString("0.000000000", CultureInfo.InvariantCulture);

    private static IEnumerable<string> Values(RollupRow r) =>
    [
        r.Requests.ToString(CultureInfo.InvariantCulture), r.InputTokens.ToString(CultureInfo.InvariantCulture),
        r.CacheReadTokens.ToString(CultureInfo.InvariantCulture), (r.CacheWrite5mTokens + r.CacheWrite1hTokens).ToString(CultureInfo.InvariantCulture),
        r.OutputTokens.ToString(CultureInfo.InvariantCulture), r.ReasoningTokens.ToString(CultureInfo.InvariantCulture), Usd(r.CostNanos),
        r.CostNanos.ToString(CultureInfo.InvariantCulture), r.CacheHitRequests.ToString(CultureInfo.InvariantCulture),
        r.DegradedRequests.ToString(CultureInfo.InvariantCulture), r.ErrorRequests.ToString(CultureInfo.InvariantCulture),
        Usd(r.ToolCallNanos), Usd(r.AudioNanos), Usd(r.ImageNanos),
    ];

    internal static string Csv(IReadOnlyList<RollupRow> rows, string dim)
    {
        var sb = new StringBuilder();
        sb.Append(dim).Append(',').AppendJoin(',', Header).Append('\n');
        foreach (var r in rows) sb.Append(CsvField(Key(r))).Append(',').AppendJoin(',', Values(r)).Append('\n');
        return sb.ToString();
    }

    private static string CsvField(string s) => CsvWriter.Escape(s);

    internal static string Json(IReadOnlyList<RollupRow> rows, string dim, ReportPeriod p)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("by", dim);
            w.WriteString("from", p.From);
            w.WriteString("to", p.To);
            w.WriteStartArray("rows");
            foreach (var r in rows)
            {
                w.WriteStartObject();
                w.WriteString("key", Key(r));
                w.WriteNumber("requests", r.Requests);
                w.WriteNumber("input_tokens", r.InputTokens);
                w.WriteNumber("cache_read_tokens", r.CacheReadTokens);
                w.WriteNumber("cache_write_tokens", r.CacheWrite5mTokens + r.CacheWrite1hTokens);
                w.WriteNumber("output_tokens", r.OutputTokens);
                w.WriteNumber("reasoning_tokens", r.ReasoningTokens);
                w.WriteNumber("cost_usd", NanoUsd.ToUsd(r.CostNanos));
                w.WriteNumber("cost_nanos", r.CostNanos);
                w.WriteNumber("cache_hit_requests", r.CacheHitRequests);
                w.WriteNumber("degraded_requests", r.DegradedRequests);
                w.WriteNumber("error_requests", r.ErrorRequests);
                // Priced units beyond tokens, each its own cost bucket (part of cost_usd).
                w.WriteNumber("tool_call_usd", NanoUsd.ToUsd(r.ToolCallNanos));
                w.WriteNumber("audio_usd", NanoUsd.ToUsd(r.AudioNanos));
                w.WriteNumber("image_usd", NanoUsd.ToUsd(r.ImageNanos));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            var total = rows.Sum(r => r.CostNanos);
            w.WriteNumber("total_cost_nanos", total);
            w.WriteNumber("total_cost_usd", NanoUsd.ToUsd(total));
            w.WriteNumber("total_requests", rows.Sum(r => r.Requests));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string Table(IReadOnlyList<RollupRow> rows, string dim, ReportPeriod p)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.Append(ci, $"Spend by {dim}, {p.From.UtcDateTime:yyyy-MM-dd HH:mm} to {p.To.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({p.Label})\n");
        var width = Math.Max(dim.Length, rows.Select(r => Key(r).Length).DefaultIfEmpty(0).Max());
        width = Math.Min(width, 40);
        sb.Append(ci, $"{dim.ToUpperInvariant().PadRight(width)} {"REQUESTS",9} {"INPUT",12} {"CACHED",12} {"OUTPUT",11} {"COST USD",14} {"SHARE",6} {"ERRORS",7}\n");
        var total = rows.Sum(r => r.CostNanos);
        foreach (var r in rows)
        {
            var key = Key(r);
            if (key.Length > width) key = key[..(width - 1)] + "…";
            var share = total > 0 ? (decimal)r.CostNanos * 100 / total : 0;
            sb.Append(ci, $"{key.PadRight(width)} {r.Requests,9} {r.InputTokens,12} {r.CacheReadTokens,12} {r.OutputTokens,11} {NanoUsd.ToUsd(r.CostNanos),14:0.000000} {share,5:0.0}% {r.ErrorRequests,7}\n");
        }
        sb.Append(ci, $"{rows.Count} rows, {rows.Sum(r => r.Requests)} requests, total {NanoUsd.ToUsd(total):0.000000} USD\n");
        var (tools, audio, images) = (rows.Sum(r => r.ToolCallNanos), rows.Sum(r => r.AudioNanos), rows.Sum(r => r.ImageNanos));
        if (tools + audio + images != 0)
            sb.Append(ci, $"of which tool calls {NanoUsd.ToUsd(tools):0.000000}, audio {NanoUsd.ToUsd(audio):0.000000}, images {NanoUsd.ToUsd(images):0.000000} USD\n");
        return sb.ToString();
    }
}
