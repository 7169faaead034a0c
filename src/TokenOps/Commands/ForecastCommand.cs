using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Budgets;
using TokenOps.Core.Forecasting;
using TokenOps.Core.Reporting;
using TokenOps.Gateway.Alerts;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Planning;
using TokenOps.Gateway.Pricing;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>
/// The organisation's spend projected over the next calendar month, and the burn rate of every team, from the ledger
/// alone (budgets' own forecasts are in GET /admin/forecasts and `tokenops status`). With --growth (and --horizon,
/// --price-decline): monthly cost per team and model at grown volume and falling prices (<see cref="GrowthForecast"/>).
/// With --backtest: how well the month-end forecast did on the ledger's history (<see cref="MonthEndBacktest"/>).
/// </summary>
internal static class ForecastCommand
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var format = new Option<string>("--format") { Description = "table, json or csv (csv: --growth only)", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv");
        var growth = new Option<string?>("--growth") { Description = "Project monthly cost with volume grown to this multiple over the horizon (10x)" };
        var horizon = new Option<string>("--horizon") { Description = "Months to project with --growth (12m, 2y)", DefaultValueFactory = _ => "12m" };
        var decline = new Option<string>("--price-decline") { Description = "Yearly price decline of the mid and small tiers (10x/yr, 60%/yr; 1x: none)", DefaultValueFactory = _ => "1x/yr" };
        var tierDecline = new Option<string[]>("--tier-decline") { Description = "A tier's own yearly decline, repeatable: frontier=2x/yr (the frontier is held by default)", AllowMultipleArgumentsPerToken = false };
        var modelTier = new Option<string[]>("--model-tier") { Description = "Put a model in a tier, repeatable: gpt-4o=mid (default: by catalog output price)" };
        var backtest = new Option<bool>("--backtest") { Description = "Backtest the month-end forecast on the ledger's history (days 5, 10, 20) against a linear run-rate" };
        var team = new Option<string?>("--team") { Description = "With --backtest: one team's spend (default the organisation)" };
        var command = new Command("forecast", "Burn rates per team and next month's projection; growth and LLMflation (--growth); a backtest of the forecast (--backtest)")
        {
            data, config, format, growth, horizon, decline, tierDecline, modelTier, backtest, team,
        };
        command.SetAction(parse =>
        {
            var fmt = parse.GetValue(format) ?? "table";
            if (parse.GetValue(backtest)) return Backtest(parse.GetValue(data), parse.GetValue(config), parse.GetValue(team), fmt);
            if (parse.GetValue(growth) is { } g)
                return Growth(parse.GetValue(data), parse.GetValue(config), g, parse.GetValue(horizon)!, parse.GetValue(decline)!,
                    parse.GetValue(tierDecline) ?? [], parse.GetValue(modelTier) ?? [], fmt);
            if (fmt == "csv") throw new CliException("--format csv: only with --growth", 2);
            return BurnRates(parse.GetValue(data), parse.GetValue(config), fmt);
        });
        return command;
    }

    private static int BurnRates(string? data, string? config, string format)
    {
        using var storage = CommonOptions.OpenStorage(data, config);
        var spend = storage.SpendQueries;
        var now = TimeProvider.System.GetUtcNow();
        var (start, end) = BudgetForecaster.NextMonth(now);
        var org = spend.OrganisationNextPeriod(start, end, now);
        var teams = storage.Keys.Teams()
            .Select(t => (Team: t, Rate: BurnRate.Fit(spend.ForecastSeries(BudgetLevel.Team, t, now), DateOnly.FromDateTime(now.UtcDateTime)) ?? BurnRate.Zero))
            .OrderByDescending(t => t.Rate.MeanPerDay).ToList();
        if (format == "json")
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                organisation_next_period = AlertEndpoints.ProjectionView(org),
                teams = teams.Select(t => new { team = t.Team, burn_rate_usd_per_day = Math.Round(t.Rate.MeanPerDay, 6), low = Math.Round(t.Rate.LowPerDay, 6), high = Math.Round(t.Rate.HighPerDay, 6), seasonal = t.Rate.Seasonal, history_days = t.Rate.HistoryDays }),
            }));
            return 0;
        }
        Console.WriteLine(string.Create(Ci,
            $"Organisation, {start:yyyy-MM-dd} to {end.AddDays(-1):yyyy-MM-dd}: projected {org.Mid:0.00} USD (band {org.Low:0.00} to {org.High:0.00}) at {org.Rate.MeanPerDay:0.00} USD/day{(org.Rate.Seasonal ? ", weekday-seasonal" : "")} from {org.Rate.HistoryDays} days of history"));
        Console.WriteLine($"{"TEAM",-16} {"USD/DAY",10} {"LOW",10} {"HIGH",10} {"HISTORY",8} SEASONAL");
        foreach (var (name, rate) in teams)
            Console.WriteLine(string.Create(Ci,
                $"{name,-16} {rate.MeanPerDay,10:0.00} {rate.LowPerDay,10:0.00} {rate.HighPerDay,10:0.00} {rate.HistoryDays,7}d {(rate.Seasonal ? "yes" : "no")}"));
        return 0;
    }

    private static int Growth(string? data, string? config, string growthText, string horizonText, string declineText, string[] tierDeclines, string[] modelTiers, string format)
    {
        if (!GrowthAssumptions.TryParseMultiple(growthText, out var growth)) throw new CliException($"--growth: '{growthText}' is not a positive multiple such as 10x", 2);
        if (!GrowthAssumptions.TryParseHorizon(horizonText, out var horizon)) throw new CliException($"--horizon: '{horizonText}' is not 1 to 120 months (12m, 2y)", 2);
        if (!GrowthAssumptions.TryParseDecline(declineText, out var decline)) throw new CliException($"--price-decline: '{declineText}' is not a yearly decline such as 10x/yr or 60%/yr", 2);
        var declines = new Dictionary<PriceTier, decimal>(GrowthAssumptions.Default(decline));
        foreach (var spec in tierDeclines)
        {
            var (name, value) = Split(spec, "--tier-decline");
            if (!PriceTiers.TryParse(name, out var tier)) throw new CliException($"--tier-decline: '{name}' is not a tier (frontier, mid, small)", 2);
            if (!GrowthAssumptions.TryParseDecline(value, out var d)) throw new CliException($"--tier-decline: '{value}' is not a yearly decline such as 2x/yr", 2);
            declines[tier] = d;
        }
        var mapping = new Dictionary<string, PriceTier>(StringComparer.Ordinal);
        foreach (var spec in modelTiers)
        {
            var (model, name) = Split(spec, "--model-tier");
            if (!PriceTiers.TryParse(name, out var tier)) throw new CliException($"--model-tier: '{name}' is not a tier (frontier, mid, small)", 2);
            mapping[model] = tier;
        }
        var options = ConfigurationLoader.Load(config);
        var catalog = ActiveCatalog.Load(data ?? options.DataDirectory, options.Prices).Catalog;
        using var storage = CommonOptions.OpenStorage(data, config);
        var now = TimeProvider.System.GetUtcNow();
        var baseline = GrowthForecast.Baseline(storage.Rollups, now);
        GrowthProjection Run(decimal g) => GrowthForecast.Project(baseline, new GrowthAssumptions(g, horizon, declines), catalog, mapping);
        var projection = Run(growth);
        var scenarios = GrowthForecast.Scenarios.Append(growth).Distinct().Order().Select(Run).ToList();
        var months = GrowthForecast.Months(now, horizon);
        var window = GrowthForecast.Window(now);
        Console.Out.Write(format switch
        {
            "json" => GrowthReport.Json(projection, scenarios, months, window),
            "csv" => GrowthReport.Csv(projection, months),
            _ => GrowthReport.Table(projection, scenarios, months, window),
        });
        return 0;
    }

    private static (string, string) Split(string spec, string option)
    {
        var eq = spec.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == spec.Length - 1) throw new CliException($"{option}: '{spec}' is not NAME=VALUE", 2);
        return (spec[..eq].Trim(), spec[(eq + 1)..].Trim());
    }

    private static int Backtest(string? data, string? config, string? team, string format)
    {
        if (format == "csv") throw new CliException("--format csv: only with --growth", 2);
        using var storage = CommonOptions.OpenStorage(data, config);
        var now = TimeProvider.System.GetUtcNow();
        var series = storage.SpendQueries.Daily(team is null ? BudgetLevel.Organisation : BudgetLevel.Team, team ?? "", ReportPeriod.Earliest, now);
        var result = MonthEndBacktest.Run(series, DateOnly.FromDateTime(now.UtcDateTime));
        var scope = team is null ? "organisation" : "team " + team;
        if (format == "json")
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                scope,
                months = result.Months,
                mape = result.Days.Select(d => new { day = d, forecast = Round(result.Mape(d)), run_rate = Round(result.Mape(d, runRate: true)) }),
                points = result.Points.Select(p => new
                {
                    month = p.Month.ToString("yyyy-MM", Ci), day = p.Day, actual_usd = Math.Round(p.Actual, 6), forecast_usd = Math.Round(p.Forecast, 6),
                    run_rate_usd = Math.Round(p.RunRate, 6), forecast_error = p.Actual > 0m ? Math.Round(p.ForecastError, 4) : (decimal?)null,
                    run_rate_error = p.Actual > 0m ? Math.Round(p.RunRateError, 4) : (decimal?)null,
                }),
            }, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        if (result.Points.Count == 0)
        {
            Console.WriteLine($"Month-end forecast backtest ({scope}): no whole month of history yet; the backtest needs the ledger to cover a calendar month from its first day.");
            return 0;
        }
        Console.WriteLine(string.Create(Ci, $"Month-end forecast backtest ({scope}): {result.Months} whole months, each forecast made at the start of day 5, 10 and 20 against the month's actual spend"));
        Console.WriteLine($"{"DAY",4} {"FORECAST MAPE",14} {"RUN-RATE MAPE",14}");
        foreach (var d in result.Days)
            Console.WriteLine(string.Create(Ci, $"{d,4} {Percent(result.Mape(d)),14} {Percent(result.Mape(d, runRate: true)),14}"));
        Console.WriteLine($"{"MONTH",-8} {"DAY",4} {"ACTUAL USD",12} {"FORECAST",12} {"ERROR",8} {"RUN-RATE",12} {"ERROR",8}");
        foreach (var p in result.Points)
            Console.WriteLine(string.Create(Ci, $"{p.Month:yyyy-MM} {p.Day,4} {p.Actual,12:0.0000} {p.Forecast,12:0.0000} {Percent(p.Actual > 0m ? p.ForecastError : null),8} {p.RunRate,12:0.0000} {Percent(p.Actual > 0m ? p.RunRateError : null),8}"));
        Console.WriteLine("Forecast: spend so far plus the rest of the month at the weekday-seasonal burn rate of the days before. Run-rate: spend so far / days elapsed x days in the month. MAPE: mean absolute percentage error.");
        return 0;
    }

    private static decimal? Round(decimal? v) => v is { } x ? Math.Round(x, 4) : null;

    private static string Percent(decimal? v) => v is { } x ? (x * 100m).ToString("0.0", Ci) + "%" : "-";
}
