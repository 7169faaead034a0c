using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Budgets;
using TokenOps.Core.Forecasting;
using TokenOps.Gateway.Alerts;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>
/// The organisation's spend projected over the next calendar month, and the burn rate of every team, from the ledger
/// alone (budgets' own forecasts are in GET /admin/forecasts and `tokenops status`).
/// </summary>
internal static class ForecastCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var format = new Option<string>("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("forecast", "Burn rates (weekday-seasonal) per team and the organisation's next-month projection") { data, config, format };
        command.SetAction(parse =>
        {
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var spend = storage.SpendQueries;
            var now = TimeProvider.System.GetUtcNow();
            var (start, end) = BudgetForecaster.NextMonth(now);
            var org = spend.OrganisationNextPeriod(start, end, now);
            var teams = storage.Keys.Teams()
                .Select(t => (Team: t, Rate: BurnRate.Fit(spend.ForecastSeries(BudgetLevel.Team, t, now), DateOnly.FromDateTime(now.UtcDateTime)) ?? BurnRate.Zero))
                .OrderByDescending(t => t.Rate.MeanPerDay).ToList();
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    organisation_next_period = AlertEndpoints.ProjectionView(org),
                    teams = teams.Select(t => new { team = t.Team, burn_rate_usd_per_day = Math.Round(t.Rate.MeanPerDay, 6), low = Math.Round(t.Rate.LowPerDay, 6), high = Math.Round(t.Rate.HighPerDay, 6), seasonal = t.Rate.Seasonal, history_days = t.Rate.HistoryDays }),
                }));
                return 0;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Organisation, {start:yyyy-MM-dd} to {end.AddDays(-1):yyyy-MM-dd}: projected {org.Mid:0.00} USD (band {org.Low:0.00} to {org.High:0.00}) at {org.Rate.MeanPerDay:0.00} USD/day{(org.Rate.Seasonal ? ", weekday-seasonal" : "")} from {org.Rate.HistoryDays} days of history"));
            Console.WriteLine($"{"TEAM",-16} {"USD/DAY",10} {"LOW",10} {"HIGH",10} {"HISTORY",8} SEASONAL");
            foreach (var (team, rate) in teams)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{team,-16} {rate.MeanPerDay,10:0.00} {rate.LowPerDay,10:0.00} {rate.HighPerDay,10:0.00} {rate.HistoryDays,7}d {(rate.Seasonal ? "yes" : "no")}"));
            return 0;
        });
        return command;
    }
}
