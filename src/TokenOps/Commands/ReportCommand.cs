using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Import;
using TokenOps.Core.Pricing;
using TokenOps.Core.Reports;
using TokenOps.Gateway;
using TokenOps.Storage.Import;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops report daily|weekly|monthly|session|blocks`: usage and cost from the ledger (default) or straight from
/// Claude Code / Codex logs, no gateway needed. Options live on the subcommands; the root `report` command's own
/// options are left free for the attribution report (--by ...).
/// </summary>
internal static class ReportCommand
{
    /// <summary>The `report` command with its usage subcommands; other report modes can add options/actions to it.</summary>
    public static Command Create()
    {
        var report = new Command("report", "Usage and cost reports: `report --by team|person|...` from the rollups, or `report daily|weekly|monthly|session|blocks`")
        {
            Period("daily", "Usage and cost per day and model", UsageGrouping.Daily),
            Period("weekly", "Usage and cost per week and model", UsageGrouping.Weekly),
            Period("monthly", "Usage and cost per month and model", UsageGrouping.Monthly),
            Period("session", "Usage and cost per agent session", UsageGrouping.Session),
            Blocks(),
        };
        // The attribution report (--by team|person|project|model|feature|status|outcome) is the root command's own action.
        RollupReport.Attach(report);
        return report;
    }

    private sealed class Common
    {
        public readonly Option<string> From = new("--from") { Description = "ledger (default), claude-code or codex (read the logs directly)", DefaultValueFactory = _ => "ledger" };
        public readonly Option<string[]> Path = new("--path") { Description = "Log directories for --from claude-code|codex (default: CLAUDE_CONFIG_DIR / CODEX_HOME rules)", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string?> Data = CommonOptions.Data();
        public readonly Option<string?> Config = CommonOptions.Config();
        public readonly Option<string?> Since = new("--since") { Description = "First day, inclusive: YYYYMMDD or YYYY-MM-DD (in --timezone)" };
        public readonly Option<string?> Until = new("--until") { Description = "Last day, inclusive: YYYYMMDD or YYYY-MM-DD (in --timezone)" };
        public readonly Option<string?> TimeZone = new("--timezone") { Description = "IANA time zone for day/week/month buckets (default: the system's)" };
        public readonly Option<bool> Json = new("--json") { Description = "JSON output (ccusage-compatible shape)" };
        public readonly Option<bool> Breakdown = new("--breakdown") { Description = "Table: one line per model under each row" };
        public readonly Option<string> Mode = new("--mode") { Description = "Log costs: auto (costUSD when the line has it, else catalog), calculate (catalog), display (costUSD only)", DefaultValueFactory = _ => "auto" };

        public Common()
        {
            From.AcceptOnlyFromAmong("ledger", "claude-code", "codex");
            Mode.AcceptOnlyFromAmong("auto", "calculate", "display");
        }

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { From, Path, Data, Config, Since, Until, TimeZone, Json, Breakdown, Mode }) c.Options.Add(o);
        }
    }

    private static Command Period(string name, string description, UsageGrouping period)
    {
        var common = new Common();
        var startOfWeek = new Option<DayOfWeek>("--start-of-week") { Description = "Weekly: first day of the week", DefaultValueFactory = _ => DayOfWeek.Sunday };
        var command = new Command(name, description);
        common.AddTo(command);
        if (period == UsageGrouping.Weekly) command.Options.Add(startOfWeek);
        command.SetAction(parse =>
        {
            var options = Options(parse, common) with { StartOfWeek = period == UsageGrouping.Weekly ? parse.GetValue(startOfWeek) : DayOfWeek.Sunday };
            var (usage, skipped) = Load(parse, common);
            var (rows, totals) = UsageReports.Build(usage, period, options);
            if (parse.GetValue(common.Json)) WriteJson(name, period, rows, totals, skipped, options);
            else WriteTable(period, rows, totals, skipped, options, parse.GetValue(common.Breakdown));
            return 0;
        });
        return command;
    }

    private static Command Blocks()
    {
        var common = new Common();
        var length = new Option<double>("--session-length") { Description = "Block length in hours", DefaultValueFactory = _ => 5 };
        var active = new Option<bool>("--active") { Description = "Only the active block" };
        var command = new Command("blocks", "Usage in 5-hour billing windows, with the active block's burn rate and projection");
        common.AddTo(command);
        command.Options.Add(length);
        command.Options.Add(active);
        command.SetAction(parse =>
        {
            var options = Options(parse, common);
            var (usage, skipped) = Load(parse, common);
            var hours = parse.GetValue(length);
            if (hours <= 0) throw new CliException("--session-length must be positive", 2);
            var blocks = BillingBlocks.Build(usage.Where(u => UsageReports.InRange(u.TimestampMs, options)), TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(hours));
            if (parse.GetValue(active)) blocks = [.. blocks.Where(b => b.IsActive)];
            if (parse.GetValue(common.Json)) WriteBlocksJson(blocks, skipped);
            else WriteBlocksTable(blocks, skipped, options);
            return 0;
        });
        return command;
    }

    private static ReportOptions Options(ParseResult parse, Common c)
    {
        TimeZoneInfo tz = TimeZoneInfo.Local;
        if (parse.GetValue(c.TimeZone) is { } id)
        {
            try { tz = TimeZoneInfo.FindSystemTimeZoneById(id); }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException) { throw new CliException($"--timezone: unknown time zone '{id}'", 2); }
        }
        return new ReportOptions { TimeZone = tz, Since = Day(parse.GetValue(c.Since), "--since"), Until = Day(parse.GetValue(c.Until), "--until") };
    }

    private static DateOnly? Day(string? value, string option)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (DateOnly.TryParseExact(value.Trim(), ["yyyyMMdd", "yyyy-MM-dd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        throw new CliException($"{option}: '{value}' is not a date (YYYYMMDD or YYYY-MM-DD)", 2);
    }

    /// <summary>Priced, de-duplicated usage from the chosen source, and what was skipped reading it.</summary>
    private static (List<PricedUsage> Usage, SkipCounter Skipped) Load(ParseResult parse, Common c)
    {
        var from = parse.GetValue(c.From)!;
        if (from == "ledger")
        {
            // The ledger holds costs priced when the row was written (gateway or import); --mode applies to logs only.
            using var storage = CommonOptions.OpenStorage(parse.GetValue(c.Data), parse.GetValue(c.Config));
            return ([.. storage.Usage.Read()], new SkipCounter());
        }
        var claude = from == "claude-code";
        var given = parse.GetValue(c.Path) ?? [];
        var roots = claude ? LogLocations.ClaudeRoots(given) : LogLocations.CodexRoots(given);
        if (roots.Count == 0) throw new CliException($"no {from} logs found{(given.Length > 0 ? " in " + string.Join(", ", given) : " in the default locations")}");
        var files = claude ? LogLocations.ClaudeFiles(roots) : LogLocations.CodexFiles(roots);
        var scan = claude ? LogScanner.ScanClaude(files) : LogScanner.ScanCodex(files);
        var mode = parse.GetValue(c.Mode) switch { "calculate" => CostMode.Calculate, "display" => CostMode.Display, _ => CostMode.Auto };
        var pricer = new UsagePricer(mode == CostMode.Display ? null : ImportCommand.Catalog(parse.GetValue(c.Data), parse.GetValue(c.Config)), mode);
        var usage = new List<PricedUsage>(scan.Events.Count);
        foreach (var e in scan.Events)
        {
            if (pricer.TryPrice(e, out var priced, out var error)) usage.Add(priced);
            else scan.Skipped.Add(FileOf(files, e), e.Line, error!);
        }
        return (usage, scan.Skipped);
    }

    private static string FileOf(IReadOnlyList<LogFile> files, in UsageEvent e)
    {
        foreach (var f in files) if (f.Project == e.Project && (f.Session == e.SessionId)) return f.Display;
        return $"{e.Project}/{e.SessionId}";
    }

    private static void WriteJson(string name, UsageGrouping period, IReadOnlyList<UsageRow> rows, UsageTotals totals, SkipCounter skipped, ReportOptions options)
    {
        using var stdout = Console.OpenStandardOutput();
        using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteStartArray(period == UsageGrouping.Session ? "sessions" : name);
        foreach (var r in rows)
        {
            w.WriteStartObject();
            switch (period)
            {
                case UsageGrouping.Daily: w.WriteString("date", r.Key); break;
                case UsageGrouping.Weekly: w.WriteString("week", r.Key); break;
                case UsageGrouping.Monthly: w.WriteString("month", r.Key); break;
                default:
                    w.WriteString("sessionId", r.Key);
                    w.WriteString("projectPath", r.Project);
                    w.WriteString("firstActivity", Iso(DateTimeOffset.FromUnixTimeMilliseconds(r.FirstMs)));
                    w.WriteString("lastActivity", Iso(DateTimeOffset.FromUnixTimeMilliseconds(r.LastMs)));
                    break;
            }
            Tokens(w, r.Totals, "totalCost");
            w.WriteStartArray("modelsUsed");
            foreach (var m in r.Models.Keys) w.WriteStringValue(m);
            w.WriteEndArray();
            w.WriteStartArray("modelBreakdowns");
            foreach (var (model, t) in r.Models.OrderByDescending(m => m.Value.Cost).ThenBy(m => m.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("modelName", model);
                Tokens(w, t, "cost");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WritePropertyName("totals");
        w.WriteStartObject();
        Tokens(w, totals, "totalCost");
        w.WriteEndObject();
        Skipped(w, skipped);
        w.WriteEndObject();
        w.Flush();
        stdout.WriteByte((byte)'\n');
        if (skipped.Summary() is { } s) Console.Error.WriteLine(s);
    }

    private static void Tokens(Utf8JsonWriter w, UsageTotals t, string costName)
    {
        w.WriteNumber("inputTokens", t.Input);
        w.WriteNumber("outputTokens", t.Output);
        w.WriteNumber("cacheCreationTokens", t.CacheCreation);
        w.WriteNumber("cacheReadTokens", t.CacheRead);
        w.WriteNumber("totalTokens", t.TotalTokens);
        w.WriteNumber(costName, decimal.Round(t.Cost, 9));
        w.WriteNumber("requests", t.Requests);
    }

    private static void Skipped(Utf8JsonWriter w, SkipCounter skipped)
    {
        w.WritePropertyName("skipped");
        w.WriteStartObject();
        w.WriteNumber("lines", skipped.Count);
        w.WriteStartArray("first");
        foreach (var s in skipped.First)
        {
            w.WriteStartObject();
            w.WriteString("file", s.File);
            w.WriteNumber("line", s.Line);
            w.WriteString("reason", s.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteTable(UsageGrouping period, IReadOnlyList<UsageRow> rows, UsageTotals totals, SkipCounter skipped, ReportOptions options, bool breakdown)
    {
        var head = period switch { UsageGrouping.Daily => "DATE", UsageGrouping.Weekly => "WEEK OF", UsageGrouping.Monthly => "MONTH", _ => "SESSION" };
        var width = period == UsageGrouping.Session ? 38 : 10;
        var line = $"{head.PadRight(width)}  {"MODELS",-34} {"INPUT",12} {"OUTPUT",12} {"CACHE WRITE",13} {"CACHE READ",14} {"TOTAL TOKENS",14} {"COST USD",12}";
        Console.WriteLine(line);
        Console.WriteLine(new string('-', line.Length));
        foreach (var r in rows)
        {
            var key = period == UsageGrouping.Session ? Trim(r.Key, width) : r.Key;
            Console.WriteLine(Row(key.PadRight(width), Trim(string.Join(", ", r.Models.Keys.Select(Short)), 34), r.Totals));
            if (breakdown)
            {
                foreach (var (model, t) in r.Models.OrderByDescending(m => m.Value.Cost)) Console.WriteLine(Row(new string(' ', width), "  " + Trim(model, 32), t));
            }
        }
        Console.WriteLine(new string('-', line.Length));
        Console.WriteLine(Row("TOTAL".PadRight(width), "", totals));
        Console.WriteLine($"Time zone: {options.TimeZone.Id}. Costs: USD.");
        if (skipped.Summary() is { } s) Console.WriteLine(s);
    }

    private static string Row(string key, string models, UsageTotals t) => string.Create(CultureInfo.InvariantCulture,
        $"{key}  {models,-34} {t.Input,12:N0} {t.Output,12:N0} {t.CacheCreation,13:N0} {t.CacheRead,14:N0} {t.TotalTokens,14:N0} {t.Cost,12:N2}");

    private static string Short(string model) => model.StartsWith("claude-", StringComparison.Ordinal) ? model[7..] : model;

    private static string Trim(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "…";

    private static void WriteBlocksJson(IReadOnlyList<BillingBlock> blocks, SkipCounter skipped)
    {
        using var stdout = Console.OpenStandardOutput();
        using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteStartArray("blocks");
        foreach (var b in blocks)
        {
            w.WriteStartObject();
            w.WriteString("id", b.IsGap ? "gap-" + Iso(b.Start) : Iso(b.Start));
            w.WriteString("startTime", Iso(b.Start));
            w.WriteString("endTime", Iso(b.End));
            if (b.ActualEnd is { } ae) w.WriteString("actualEndTime", Iso(ae)); else w.WriteNull("actualEndTime");
            w.WriteBoolean("isActive", b.IsActive);
            w.WriteBoolean("isGap", b.IsGap);
            w.WriteNumber("entries", b.Entries);
            w.WritePropertyName("tokenCounts");
            w.WriteStartObject();
            w.WriteNumber("inputTokens", b.Totals.Input);
            w.WriteNumber("outputTokens", b.Totals.Output);
            w.WriteNumber("cacheCreationInputTokens", b.Totals.CacheCreation);
            w.WriteNumber("cacheReadInputTokens", b.Totals.CacheRead);
            w.WriteEndObject();
            w.WriteNumber("totalTokens", b.Totals.TotalTokens);
            w.WriteNumber("costUSD", decimal.Round(b.Totals.Cost, 9));
            w.WriteStartArray("models");
            foreach (var m in b.Models.Keys) w.WriteStringValue(m);
            w.WriteEndArray();
            if (b.Burn is { } burn)
            {
                w.WritePropertyName("burnRate");
                w.WriteStartObject();
                w.WriteNumber("tokensPerMinute", decimal.Round(burn.TokensPerMinute, 3));
                w.WriteNumber("tokensPerMinuteForIndicator", decimal.Round(burn.TokensPerMinuteForIndicator, 3));
                w.WriteNumber("costPerHour", decimal.Round(burn.CostPerHour, 6));
                w.WriteEndObject();
            }
            else w.WriteNull("burnRate");
            if (b.Projection is { } p)
            {
                w.WritePropertyName("projection");
                w.WriteStartObject();
                w.WriteNumber("totalTokens", p.TotalTokens);
                w.WriteNumber("totalCost", decimal.Round(p.TotalCost, 6));
                w.WriteNumber("remainingMinutes", p.RemainingMinutes);
                w.WriteEndObject();
            }
            else w.WriteNull("projection");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        Skipped(w, skipped);
        w.WriteEndObject();
        w.Flush();
        stdout.WriteByte((byte)'\n');
        if (skipped.Summary() is { } s) Console.Error.WriteLine(s);
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteBlocksTable(IReadOnlyList<BillingBlock> blocks, SkipCounter skipped, ReportOptions options)
    {
        var head = $"{"BLOCK START",-16}  {"STATUS",-22} {"MODELS",-34} {"REQUESTS",8} {"TOTAL TOKENS",14} {"COST USD",12}";
        Console.WriteLine(head);
        Console.WriteLine(new string('-', head.Length));
        foreach (var b in blocks)
        {
            var start = UsageReports.Local(b.Start.ToUnixTimeMilliseconds(), options.TimeZone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            if (b.IsGap)
            {
                Console.WriteLine($"{start,-16}  {"(idle " + (b.End - b.Start).TotalHours.ToString("0.0", CultureInfo.InvariantCulture) + " h)",-22}");
                continue;
            }
            var status = b.IsActive ? $"ACTIVE, {(int)(b.End - TimeProvider.System.GetUtcNow()).TotalMinutes} min left" : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{start,-16}  {status,-22} {Trim(string.Join(", ", b.Models.Keys.Select(Short)), 34),-34} {b.Entries,8} {b.Totals.TotalTokens,14:N0} {b.Totals.Cost,12:N2}"));
            if (b.Burn is { } burn && b.Projection is { } p)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{"",16}  burn rate {burn.TokensPerMinute:N0} tokens/min, {burn.CostPerHour:N2} USD/h; projected at block end: {p.TotalTokens:N0} tokens, {p.TotalCost:N2} USD"));
            }
        }
        Console.WriteLine($"Time zone: {options.TimeZone.Id}. Costs: USD.");
        if (skipped.Summary() is { } s) Console.WriteLine(s);
    }
}
