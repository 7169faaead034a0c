using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Exports;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Pricing;
using TokenOps.Storage;
using ReportPeriod = TokenOps.Core.Reporting.ReportPeriod;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops report --by outcome`: the period's ledger spend per business outcome (merged PR, resolved ticket, feature …)
/// by the outcomes report's linking rules, plus one unlinked line; linked + unlinked = the period's ledger total to the
/// nano-dollar. Unlike the other dimensions this reads the ledger (streamed, outcomes loaded once), since links are
/// computed at report time and never stored in the rollups. The ledger status breakdown is `--by status`.
/// </summary>
internal static class OutcomeSpendReport
{
    public const string Unlinked = "(unlinked)";

    public static readonly string[] Header =
        ["outcome", "type", "title", "person", "team", "completed_at", "requests", "cost_usd", "cost_nanos", "share"];

    public static int Run(ReportPeriod p, string? data, string? config, string? team, string? person, string? project, string? model, string format)
    {
        var service = OutcomesCommand.Open(data, config);
        var spend = new OutcomeSpend(service.Linker());
        using var storage = CommonOptions.OpenStorage(data, config);
        var store = storage.Ledger;
        foreach (var e in store.Stream(p.From, p.To))
        {
            // The same row filters as the rollup dimensions (exact match; model = served, else requested).
            if (team is not null && e.Team != team) continue;
            if (person is not null && e.Person != person) continue;
            if (project is not null && e.Project != project) continue;
            if (model is not null && (e.ServedModel ?? e.RequestedModel) != model) continue;
            spend.Add(SpendRow.From(e));
        }
        if (!spend.Reconciles) throw new CliException("internal error: linked + unlinked spend does not equal the ledger total", 1);
        Console.Out.Write(format switch
        {
            "json" => Json(spend, p),
            "csv" => Csv(spend),
            _ => Table(spend, p),
        });
        return 0;
    }

    private static string Usd(long nanos) => NanoUsd.ToUsd(nanos).ToString("0.000000000", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static decimal Share(long part, long total) => total == 0 ? 0 : decimal.Round((decimal)part / total, 6, MidpointRounding.AwayFromZero);

    internal static string Csv(OutcomeSpend spend)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.AppendJoin(',', Header).Append('\n');
        foreach (var l in spend.Lines())
        {
            var o = l.Outcome;
            sb.AppendJoin(',', Field(o.Id), OutcomeTypes.Name(o.Type), Field(o.Title), Field(o.Person), Field(o.Team), Time(o.CompletedAt),
                l.Requests.ToString(ci), Usd(l.CostNanos), l.CostNanos.ToString(ci), Share(l.CostNanos, spend.TotalNanos).ToString(ci)).Append('\n');
        }
        sb.AppendJoin(',', Unlinked, "", "", "", "", "", spend.UnlinkedRequests.ToString(ci), Usd(spend.UnlinkedNanos),
            spend.UnlinkedNanos.ToString(ci), Share(spend.UnlinkedNanos, spend.TotalNanos).ToString(ci)).Append('\n');
        return sb.ToString();
    }

    /// <summary>RFC 4180 quoting and formula neutralising, as every TokenOps CSV (<see cref="CsvWriter.Escape"/>).</summary>
    private static string Field(string? s) => CsvWriter.Escape(s);

    internal static string Json(OutcomeSpend spend, ReportPeriod p)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("by", "outcome");
            w.WriteString("from", p.From);
            w.WriteString("to", p.To);
            w.WriteStartArray("rows");
            foreach (var l in spend.Lines())
            {
                var o = l.Outcome;
                w.WriteStartObject();
                w.WriteString("key", o.Id);
                w.WriteString("id", o.Id);
                w.WriteString("type", OutcomeTypes.Name(o.Type));
                w.WriteString("title", o.Title);
                w.WriteString("person", o.Person);
                w.WriteString("team", o.Team);
                w.WriteString("completed_at", o.CompletedAt);
                w.WriteBoolean("unlinked", false);
                Money(w, l.Requests, l.CostNanos, spend.TotalNanos);
                w.WriteEndObject();
            }
            // The unlinked line is a row too, so the rows sum to the total like every other dimension's.
            w.WriteStartObject();
            w.WriteString("key", Unlinked);
            w.WriteNull("id");
            w.WriteNull("type");
            w.WriteNull("title");
            w.WriteNull("person");
            w.WriteNull("team");
            w.WriteNull("completed_at");
            w.WriteBoolean("unlinked", true);
            Money(w, spend.UnlinkedRequests, spend.UnlinkedNanos, spend.TotalNanos);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteNumber("outcomes", spend.Lines().Count);
            w.WriteNumber("linked_cost_nanos", spend.LinkedNanos);
            w.WriteNumber("unlinked_cost_nanos", spend.UnlinkedNanos);
            w.WriteNumber("total_cost_nanos", spend.TotalNanos);
            w.WriteNumber("total_cost_usd", NanoUsd.ToUsd(spend.TotalNanos));
            w.WriteNumber("total_requests", spend.Requests);
            w.WriteBoolean("reconciles", spend.Reconciles);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void Money(Utf8JsonWriter w, long requests, long nanos, long total)
    {
        w.WriteNumber("requests", requests);
        w.WriteNumber("cost_usd", NanoUsd.ToUsd(nanos));
        w.WriteNumber("cost_nanos", nanos);
        w.WriteNumber("share", Share(nanos, total));
    }

    private static string Table(OutcomeSpend spend, ReportPeriod p)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        var lines = spend.Lines();
        sb.Append(ci, $"Spend by outcome, {p.From.UtcDateTime:yyyy-MM-dd HH:mm} to {p.To.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({p.Label})\n");
        var width = Math.Min(40, Math.Max(Unlinked.Length, lines.Select(l => l.Outcome.Id.Length).DefaultIfEmpty(0).Max()));
        sb.Append(ci, $"{"OUTCOME".PadRight(width)} {"TYPE",-8} {"COMPLETED",-10} {"PERSON",-12} {"REQUESTS",9} {"COST USD",14} {"SHARE",6} TITLE\n");
        foreach (var l in lines)
        {
            var o = l.Outcome;
            sb.Append(ci, $"{Cut(o.Id, width).PadRight(width)} {OutcomeTypes.Name(o.Type),-8} {o.CompletedAt.UtcDateTime,-10:yyyy-MM-dd} {Cut(o.Person ?? "-", 12),-12} {l.Requests,9} {NanoUsd.ToUsd(l.CostNanos),14:0.000000} {Share(l.CostNanos, spend.TotalNanos) * 100,5:0.0}% {o.Title}\n");
        }
        sb.Append(ci, $"{Unlinked.PadRight(width)} {"",-8} {"",-10} {"",-12} {spend.UnlinkedRequests,9} {NanoUsd.ToUsd(spend.UnlinkedNanos),14:0.000000} {Share(spend.UnlinkedNanos, spend.TotalNanos) * 100,5:0.0}%\n");
        sb.Append(ci, $"{lines.Count} outcomes, {spend.Requests} requests, total {NanoUsd.ToUsd(spend.TotalNanos):0.000000} USD\n");
        sb.Append(ci, $"Check: linked {Usd(spend.LinkedNanos)} + unlinked {Usd(spend.UnlinkedNanos)} = {Usd(spend.LinkedNanos + spend.UnlinkedNanos)} USD {(spend.Reconciles ? "=" : "≠")} ledger total {Usd(spend.TotalNanos)} USD\n");
        return sb.ToString();
    }

    private static string Cut(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "…";
}
