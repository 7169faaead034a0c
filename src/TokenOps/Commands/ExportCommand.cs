using System.CommandLine;
using System.Globalization;
using System.Text;
using TokenOps.Core.Exports;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Pricing;
using TokenOps.Core.Ledger;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>`tokenops export focus|csv`: the ledger for finance tools, streamed row by row (a month never sits in memory).</summary>
internal static class ExportCommand
{
    public static Command Create() => new("export", "Export the ledger: FOCUS 1.2 CSV for FinOps tools, or flat ledger CSV") { Focus(), Csv() };

    private static Command Focus()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var period = new Option<string>("--period") { Description = "A month (2026-11) or a range of days, both inclusive (2026-11-01..2026-11-15), UTC", Required = true };
        var output = Out();
        var command = new Command("focus", "Write a FOCUS 1.2 cost and usage CSV (one row per request per token class), with x_person, x_team, x_project, x_feature, and x_outcome: the business outcome (merged PR, resolved ticket, feature) the request links to, by the outcomes report's rules")
            { data, config, period, output };
        command.SetAction(parse =>
        {
            var (from, until) = ParsePeriod(parse.GetValue(period)!);
            var store = Store(parse.GetValue(data), parse.GetValue(config));
            // Outcomes are loaded once; ledger rows stream through the same linker the outcomes report uses.
            var spend = new OutcomeSpend(OutcomesCommand.Open(parse.GetValue(data), parse.GetValue(config)).Linker());
            long rows = 0;
            Write(parse.GetValue(output), csv =>
            {
                csv.WriteRow(FocusExport.Columns);
                foreach (var entry in store.Stream(from, until))
                {
                    var link = spend.Add(SpendRow.From(entry));
                    foreach (var row in FocusExport.Rows(entry, link))
                    {
                        csv.WriteRow(row);
                        rows++;
                    }
                }
            });
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"FOCUS export {FocusExport.Time(from)}..{FocusExport.Time(until)}: {spend.Requests} ledger rows, {rows} FOCUS rows, total {FocusExport.Money(NanoUsd.ToUsd(spend.TotalNanos))} USD; linked to {spend.Lines().Count} outcomes {FocusExport.Money(NanoUsd.ToUsd(spend.LinkedNanos))} USD, unlinked {FocusExport.Money(NanoUsd.ToUsd(spend.UnlinkedNanos))} USD"));
            return 0;
        });
        return command;
    }

    private static Command Csv()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var since = new Option<string?>("--since") { Description = "From this time (inclusive): ISO 8601 or a span back from now (30m, 24h, 7d)" };
        var until = new Option<string?>("--until") { Description = "Up to this time (exclusive): ISO 8601 or a span back from now" };
        var output = Out();
        var command = new Command("csv", "Write ledger rows as CSV, one line per request") { data, config, since, until, output };
        command.SetAction(parse =>
        {
            var now = TimeProvider.System.GetUtcNow();
            var from = LedgerCommand.ParseSince(parse.GetValue(since), now);
            DateTimeOffset? to;
            try { to = LedgerCommand.ParseSince(parse.GetValue(until), now); }
            catch (CliException) { throw new CliException($"--until: '{parse.GetValue(until)}' is neither an ISO 8601 time nor a span such as 30m, 24h or 7d", 2); }
            var store = Store(parse.GetValue(data), parse.GetValue(config));
            long count = 0, nanos = 0;
            Write(parse.GetValue(output), csv =>
            {
                csv.WriteRow(LedgerCsv.Columns);
                foreach (var entry in store.Stream(from, to))
                {
                    csv.WriteRow(LedgerCsv.Row(entry));
                    count++;
                    nanos += entry.CostNanos;
                }
            });
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} ledger rows, total {FocusExport.Money(NanoUsd.ToUsd(nanos))} USD"));
            return 0;
        });
        return command;
    }

    private static Option<string?> Out() => new("--out") { Description = "Write to this file instead of standard output" };

    private static ILedgerStore Store(string? data, string? config) => CommonOptions.OpenStorage(data, config).Ledger;

    /// <summary>UTF-8 without BOM. To a file: written beside it, then moved into place, so a failed export leaves no half file.</summary>
    private static void Write(string? path, Action<CsvWriter> body)
    {
        var utf8 = new UTF8Encoding(false);
        if (path is null)
        {
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), utf8, 1 << 16);
            body(new CsvWriter(stdout));
            return;
        }
        var full = Path.GetFullPath(path);
        var temp = full + ".partial";
        try
        {
            using (var file = new StreamWriter(temp, false, utf8, 1 << 16)) body(new CsvWriter(file));
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new CliException($"--out: cannot write '{path}': {ex.Message}");
        }
    }

    /// <summary>"2026-11" is [Nov 1, Dec 1); "2026-11-01..2026-11-15" is [Nov 1, Nov 16): both days included. UTC.</summary>
    public static (DateTimeOffset From, DateTimeOffset Until) ParsePeriod(string value)
    {
        var period = ParsePeriodUnchecked(value);
        if (period.From < Core.Reporting.ReportPeriod.Earliest || period.Until > Core.Reporting.ReportPeriod.Latest)
            throw new CliException($"--period: '{value}' is outside {Core.Reporting.ReportPeriod.Earliest:yyyy-MM-dd}..{Core.Reporting.ReportPeriod.Latest.AddDays(-1):yyyy-MM-dd}", 2);
        return period;
    }

    private static (DateTimeOffset From, DateTimeOffset Until) ParsePeriodUnchecked(string value)
    {
        var v = value.Trim();
        if (DateTime.TryParseExact(v, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month))
        {
            var start = new DateTimeOffset(month.Year, month.Month, 1, 0, 0, 0, TimeSpan.Zero);
            return (start, month.Year < 9999 ? start.AddMonths(1) : DateTimeOffset.MaxValue);
        }
        var parts = v.Split("..");
        if (parts.Length == 2
            && DateTime.TryParseExact(parts[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first)
            && DateTime.TryParseExact(parts[1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var last)
            && last >= first)
            return (new DateTimeOffset(first, TimeSpan.Zero), last.Year < 9999 ? new DateTimeOffset(last, TimeSpan.Zero).AddDays(1) : DateTimeOffset.MaxValue);
        throw new CliException($"--period: '{value}' is neither a month (2026-11) nor a range of days (2026-11-01..2026-11-15)", 2);
    }
}
