using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Audit;
using TokenOps.Core.Exports;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops audit [--since DATE] [--format table|json|csv] [--verify]`: who changed keys, people, teams, budgets, prices
/// and outcomes, when, from where, and the value before and after. The whole chain is checked on every run (an edited
/// or removed entry is named); with --verify a broken chain also ends the command with exit code 3.
/// </summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var since = new Option<string?>("--since") { Description = "Only changes from this time: ISO 8601 (2026-12-01) or a span back from now (24h, 7d)" };
        var format = new Option<string>("--format") { Description = "table, json (JSON lines) or csv", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv");
        var verify = new Option<bool>("--verify") { Description = "Exit 3 when the chain is broken (for a scheduled check)" };
        var command = new Command("audit", "The audit trail of changes to keys, people, teams, budgets, prices and outcomes (append-only, hash-chained)")
        {
            data, config, since, format, verify,
        };
        command.SetAction(parse =>
        {
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var all = storage.Audit.Read();
            var broken = AuditChain.Verify(all);
            var from = LedgerCommand.ParseSince(parse.GetValue(since), TimeProvider.System.GetUtcNow());
            var shown = from is { } s ? all.Where(e => e.At >= s).ToList() : all;
            Console.Out.Write(parse.GetValue(format) switch
            {
                "json" => Json(shown),
                "csv" => Csv(shown),
                _ => Table(shown),
            });
            if (broken is not null)
            {
                Console.Error.WriteLine($"tokenops: the audit trail is broken at entry {broken.Seq}: {broken.Reason}");
                return parse.GetValue(verify) ? 3 : 0;
            }
            if (parse.GetValue(format) == "table") Console.WriteLine($"{all.Count} entries; chain verified ({(all.Count == 0 ? AuditChain.Genesis[..12] : all[^1].Hash[..12])})");
            return 0;
        });
        return command;
    }

    private static string Table(IReadOnlyList<AuditEntry> entries)
    {
        var text = new StringBuilder();
        text.AppendLine($"{"SEQ",5} {"AT (UTC)",-20} {"ACTOR",-22} {"FROM",-16} {"ACTION",-16} {"SUBJECT",-28} CHANGE");
        foreach (var e in entries)
        {
            text.Append(CultureInfo.InvariantCulture, $"{e.Seq,5} {e.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {e.Actor,-22} {e.Origin,-16} {e.Action,-16} {e.Subject,-28} ");
            text.AppendLine($"{e.Before ?? "-"} -> {e.After ?? "-"}");
        }
        return text.ToString();
    }

    private static string Json(IReadOnlyList<AuditEntry> entries)
    {
        var text = new StringBuilder();
        foreach (var e in entries)
        {
            text.AppendLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["seq"] = e.Seq, ["at"] = e.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), ["actor"] = e.Actor, ["origin"] = e.Origin,
                ["action"] = e.Action, ["subject"] = e.Subject, ["before"] = e.Before, ["after"] = e.After, ["prev_hash"] = e.PrevHash, ["hash"] = e.Hash,
            }));
        }
        return text.ToString();
    }

    private static string Csv(IReadOnlyList<AuditEntry> entries)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        var csv = new CsvWriter(output);
        csv.WriteRow(["seq", "at", "actor", "origin", "action", "subject", "before", "after", "prev_hash", "hash"]);
        foreach (var e in entries)
            csv.WriteRow([e.Seq.ToString(CultureInfo.InvariantCulture), e.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), e.Actor, e.Origin, e.Action, e.Subject, e.Before, e.After, e.PrevHash, e.Hash]);
        return output.ToString();
    }
}
