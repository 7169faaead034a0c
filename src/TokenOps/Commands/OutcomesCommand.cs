using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Outcomes;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Outcomes;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>`tokenops outcomes add|list|report`: outcomes recorded by hand, and cost per outcome, baselines and ROI from the ledger.</summary>
internal static class OutcomesCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create() => new("outcomes", "Outcomes (merged PRs, resolved tickets, features, incidents) and cost per outcome")
    {
        Add(), List(), Report(),
    };

    private static Command Add()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var type = new Option<string>("--type") { Description = $"Outcome type: {OutcomeTypes.Accepted}", Required = true };
        var title = new Option<string>("--title") { Description = "What was achieved", Required = true };
        var person = new Option<string?>("--person") { Description = "Who achieved it (TokenOps person, or an external login mapped by outcomes.people)" };
        var team = new Option<string?>("--team") { Description = "Team (default: the person's team)" };
        var project = new Option<string?>("--project") { Description = "Project" };
        var repo = new Option<string?>("--repo") { Description = "Repository (owner/name)" };
        var branch = new Option<string?>("--branch") { Description = "Branch" };
        var key = new Option<string?>("--key") { Description = "The name requests use to attribute spend explicitly (X-TokenOps-Feature/-Ticket/-PR); default --id" };
        var id = new Option<string?>("--id") { Description = "Your id for the outcome; adding the same id twice changes nothing (default: derived from type, title, person, completion)" };
        var value = new Option<string?>("--value") { Description = "Value in USD (default: hours saved × hourly rate from the config)" };
        var started = new Option<string?>("--started") { Description = "When work started (ISO 8601)" };
        var completed = new Option<string?>("--completed") { Description = "When it was completed (ISO 8601, default now)" };
        var command = new Command("add", "Record an outcome by hand") { type, title, person, team, project, repo, branch, key, id, value, started, completed, data, config };
        command.SetAction(parse =>
        {
            var service = Open(parse.GetValue(data), parse.GetValue(config));
            decimal? usd = null;
            if (parse.GetValue(value) is { } v)
            {
                if (!decimal.TryParse(v.TrimStart('$'), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed))
                    throw new CliException($"--value: '{v}' is not an amount in USD", 2);
                usd = parsed;
            }
            var manual = new ManualOutcome(parse.GetValue(type), parse.GetValue(title), parse.GetValue(person), parse.GetValue(team), parse.GetValue(project),
                parse.GetValue(repo), parse.GetValue(branch), parse.GetValue(key), parse.GetValue(id),
                Time("--started", parse.GetValue(started)), Time("--completed", parse.GetValue(completed)), usd);
            try
            {
                var (outcome, added) = service.Record(manual.ToOutcome(TimeProvider.System.GetUtcNow()));
                Console.WriteLine(added ? $"Recorded outcome {outcome.Id}." : $"Outcome {outcome.Id} already recorded; nothing changed.");
                return 0;
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ex.Message, 2);
            }
        });
        return command;
    }

    private static Command List()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var period = PeriodOption("all");
        var format = new Option<string>("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("list", "List recorded outcomes") { period, format, data, config };
        command.SetAction(parse =>
        {
            var service = Open(parse.GetValue(data), parse.GetValue(config));
            var p = parse.GetValue(period) is "all" ? null : ParsePeriod(parse.GetValue(period)!, TimeProvider.System.GetUtcNow());
            var outcomes = service.Store.List(p?.Since, p?.Until);
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(outcomes.Select(o => OutcomeEndpoints.View(o, service.Valuation)), Json));
                return 0;
            }
            Console.WriteLine($"{"COMPLETED (UTC)",-17} {"TYPE",-8} {"ID",-36} {"PERSON",-12} {"TEAM",-10} {"VALUE USD",10} TITLE");
            foreach (var o in outcomes)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{o.CompletedAt.UtcDateTime:yyyy-MM-dd HH:mm}  {OutcomeTypes.Name(o.Type),-8} {o.Id,-36} {o.Person ?? "-",-12} {o.Team ?? "-",-10} {service.Valuation.Value(o).Usd,10:0.00} {o.Title}"));
            Console.WriteLine($"{outcomes.Count} outcomes");
            return 0;
        });
        return command;
    }

    private static Command Report()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var by = new Option<string?>("--by") { Description = "Group by person, team or project" };
        by.AcceptOnlyFromAmong(OutcomeReport.Dimensions);
        var period = PeriodOption("30d");
        var baseline = new Option<string?>("--baseline") { Description = "Compare with this period (same forms as --period); default: before/after outcomes.adoptionDate" };
        var format = new Option<string>("--format") { Description = "table, json or csv", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv");
        var command = new Command("report", "Cost per outcome, unlinked spend, trend, baseline and ROI") { by, period, baseline, format, data, config };
        command.SetAction(parse =>
        {
            var service = Open(parse.GetValue(data), parse.GetValue(config));
            var now = TimeProvider.System.GetUtcNow();
            var p = ParsePeriod(parse.GetValue(period)!, now);
            var b = parse.GetValue(baseline) is { } bt ? ParsePeriod(bt, now, "--baseline") : null;
            var report = service.Report(p, parse.GetValue(by), b);
            switch (parse.GetValue(format))
            {
                case "json": Console.WriteLine(JsonSerializer.Serialize(report, Json)); break;
                case "csv": Console.Write(OutcomeReportText.Csv(report)); break;
                default: Console.Write(OutcomeReportText.Table(report)); break;
            }
            return 0;
        });
        return command;
    }

    private static Option<string> PeriodOption(string fallback) => new("--period")
    {
        Description = "A span back from now (24h, 7d, 4w), a month (2026-10), or a range (2026-10-01..2026-11-01)" + (fallback == "all" ? ", or all" : ""),
        DefaultValueFactory = _ => fallback,
    };

    /// <summary>"7d", "24h", "4w" back from now; "2026-10" a calendar month (UTC); "A..B" a range of ISO 8601 times.</summary>
    public static ReportPeriod ParsePeriod(string value, DateTimeOffset now, string option = "--period")
    {
        var v = value.Trim();
        CliException Bad() => new($"{option}: '{value}' is not a span (24h, 7d, 4w), a month (2026-10) or a range (2026-10-01..2026-11-01)", 2);
        var dots = v.IndexOf("..", StringComparison.Ordinal);
        if (dots > 0)
        {
            var from = Time(option, v[..dots]) ?? throw Bad();
            var to = Time(option, v[(dots + 2)..]) ?? throw Bad();
            if (from >= to) throw new CliException($"{option}: the range must start before it ends", 2);
            return new ReportPeriod(from, to);
        }
        if (DateTime.TryParseExact(v, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var month))
        {
            var start = new DateTimeOffset(month.Year, month.Month, 1, 0, 0, 0, TimeSpan.Zero);
            return new ReportPeriod(start, start.AddMonths(1));
        }
        if (v.Length > 1 && int.TryParse(v[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? span = v[^1] switch { 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), 'w' => TimeSpan.FromDays(7 * n), _ => null };
            if (span is { } s && s < TimeSpan.FromDays(36500)) return new ReportPeriod(now - s, now);
        }
        throw Bad();
    }

    private static DateTimeOffset? Time(string option, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (DateTimeOffset.TryParse(value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) return t;
        throw new CliException($"{option}: '{value}' is not an ISO 8601 time", 2);
    }

    internal static OutcomeService Open(string? data, string? configPath)
    {
        var options = configPath is null ? new GatewayOptions() : ConfigurationLoader.Load(configPath);
        var storage = CommonOptions.OpenStorage(data, configPath);
        return new OutcomeService(options.Outcomes, storage.Outcomes, storage.Spend, storage.Keys);
    }
}

/// <summary>The report as a terminal table or CSV.</summary>
internal static class OutcomeReportText
{
    private static string M(decimal usd) => usd.ToString("0.00####", CultureInfo.InvariantCulture);

    public static string Table(OutcomeReport r)
    {
        var sb = new StringBuilder();
        void L(FormattableString s) => sb.AppendLine(s.ToString(CultureInfo.InvariantCulture));
        var s = r.Spend;
        L($"Outcomes report {r.Period.Since.UtcDateTime:yyyy-MM-dd HH:mm} → {r.Period.Until.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
        L($"Spend: {M(s.TotalUsd)} USD over {s.Rows} requests; linked {M(s.LinkedUsd)} (explicit {M(s.LinkedUsdByRule["explicit"])}, branch {M(s.LinkedUsdByRule["branch"])}, repository {M(s.LinkedUsdByRule["repository"])}, author window {M(s.LinkedUsdByRule["author_window"])}); unlinked {M(s.UnlinkedUsd)} ({s.UnlinkedShare * 100:0.0}% of spend)");
        L($"Check: {s.Check}");
        var d = r.CostPerOutcome;
        L($"Cost per outcome (linked spend): {d.Count} outcomes, median {M(d.Median)}, p25 {M(d.P25)}, p75 {M(d.P75)}, p90 {M(d.P90)}, mean {M(d.Mean)}, min {M(d.Min)}, max {M(d.Max)} USD");
        L($"All-in cost per outcome: {r.AllIn.Formula}");
        sb.AppendLine();
        L($"{"TYPE",-10} {"COUNT",6} {"MEDIAN",12} {"P25",12} {"P75",12} {"P90",12} {"MEAN",12} {"LINKED",12}");
        foreach (var t in r.ByType)
            L($"{t.Type,-10} {t.CostPerOutcome.Count,6} {M(t.CostPerOutcome.Median),12} {M(t.CostPerOutcome.P25),12} {M(t.CostPerOutcome.P75),12} {M(t.CostPerOutcome.P90),12} {M(t.CostPerOutcome.Mean),12} {M(t.CostPerOutcome.Total),12}");
        if (r.By is not null)
        {
            sb.AppendLine();
            L($"{r.By.ToUpperInvariant(),-16} {"OUTCOMES",8} {"MEDIAN",11} {"P90",11} {"MEAN",11} {"SPEND",11} {"LINKED",11} {"UNLINKED",11} {"UNL%",6} {"VALUE",11} {"ROI",8}");
            foreach (var g in r.Groups)
                L($"{g.Key,-16} {g.Outcomes,8} {M(g.CostPerOutcome.Median),11} {M(g.CostPerOutcome.P90),11} {M(g.CostPerOutcome.Mean),11} {M(g.SpendUsd),11} {M(g.LinkedSpendUsd),11} {M(g.UnlinkedSpendUsd),11} {g.UnlinkedShare * 100,6:0.0} {g.ValueUsd,11:0.00} {(g.Roi is { } roi ? roi.ToString("0.##", CultureInfo.InvariantCulture) : "-"),8}");
            foreach (var g in r.Groups)
                L($"  ROI {g.Key}: {g.RoiFormula}");
        }
        sb.AppendLine();
        L($"{"WEEK",-10} {"OUTCOMES",8} {"MEDIAN",12} {"MEAN",12} {"SPEND",12} {"ALL-IN/OUTCOME",15}");
        foreach (var t in r.Trend)
            L($"{t.WeekStart.UtcDateTime:yyyy-MM-dd} {t.Outcomes,8} {M(t.MedianCostUsd),12} {M(t.MeanCostUsd),12} {M(t.SpendUsd),12} {(t.AllInCostPerOutcomeUsd is { } a ? M(a) : "-"),15}");
        sb.AppendLine();
        if (r.Baseline is { } b)
        {
            L($"Baseline ({b.Basis}):");
            foreach (var p in new[] { b.Before, b.After })
                L($"  {p.Label,-6} {p.Since.UtcDateTime:yyyy-MM-dd}..{p.Until.UtcDateTime:yyyy-MM-dd}: {p.Outcomes} outcomes ({p.OutcomesPerWeek:0.##}/week), median cost {M(p.MedianCostUsd)}, mean {M(p.MeanCostUsd)}, spend {M(p.SpendUsd)}, all-in {(p.AllInCostPerOutcomeUsd is { } a ? M(a) : "-")} USD per outcome");
            L($"  change: outcomes/week {Pct(b.OutcomesPerWeekChangePct)}, median cost {Pct(b.MedianCostChangePct)}, all-in cost per outcome {Pct(b.AllInCostPerOutcomeChangePct)}; {b.Formula}");
        }
        else L($"Baseline: {r.BaselineNote}");
        L($"ROI: {(r.Roi.Roi is { } x ? x.ToString("0.####", CultureInfo.InvariantCulture) : "undefined")}  ({r.Roi.Formula})");
        return sb.ToString();
    }

    private static string Pct(decimal? p) => p is { } v ? v.ToString("+0.##;-0.##;0", CultureInfo.InvariantCulture) + "%" : "n/a";

    public static string Csv(OutcomeReport r)
    {
        var sb = new StringBuilder("section,key,outcomes,median_usd,p25_usd,p75_usd,p90_usd,mean_usd,linked_cost_usd,spend_usd,unlinked_usd,unlinked_share,value_usd,roi\n");
        void Row(string section, string key, Distribution d, decimal? spend, decimal? unlinked, decimal? share, decimal? value, decimal? roi) =>
            sb.AppendLine(string.Join(',', section, Esc(key), d.Count.ToString(CultureInfo.InvariantCulture), N(d.Median), N(d.P25), N(d.P75), N(d.P90), N(d.Mean), N(d.Total),
                N(spend), N(unlinked), N(share), N(value), N(roi)));
        Row("total", "all", r.CostPerOutcome, r.Spend.TotalUsd, r.Spend.UnlinkedUsd, r.Spend.UnlinkedShare, r.Roi.ValueUsd, r.Roi.Roi);
        foreach (var t in r.ByType) Row("type", t.Type, t.CostPerOutcome, null, null, null, null, null);
        foreach (var g in r.Groups) Row(r.By!, g.Key, g.CostPerOutcome, g.SpendUsd, g.UnlinkedSpendUsd, g.UnlinkedShare, g.ValueUsd, g.Roi);
        foreach (var t in r.Trend)
            sb.AppendLine(string.Join(',', "week", t.WeekStart.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), t.Outcomes.ToString(CultureInfo.InvariantCulture),
                N(t.MedianCostUsd), "", "", "", N(t.MeanCostUsd), "", N(t.SpendUsd), "", "", "", ""));
        return sb.ToString();
    }

    private static string N(decimal? v) => v?.ToString("0.#########", CultureInfo.InvariantCulture) ?? "";

    private static string Esc(string s) => TokenOps.Core.Exports.CsvWriter.Escape(s);
}
