using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TokenOps.Gateway.Alerts;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

internal static class AlertsCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var since = new Option<string?>("--since") { Description = "Only alerts from this time: ISO 8601 or a span back from now (30m, 24h, 7d)" };
        var format = new Option<string>("--format") { Description = "table or json (JSON lines)", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("alerts", "List budget alerts (thresholds and forecasts) with their webhook delivery state") { data, config, since, format };
        command.SetAction(parse =>
        {
            var from = LedgerCommand.ParseSince(parse.GetValue(since), TimeProvider.System.GetUtcNow());
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var alerts = storage.Alerts.List(from);
            if (parse.GetValue(format) == "json")
            {
                foreach (var a in alerts) Console.WriteLine(JsonSerializer.Serialize(AlertEndpoints.AlertView(a)));
                return 0;
            }
            Console.WriteLine($"{"CREATED (UTC)",-20} {"KIND",-9} {"BUDGET",-24} {"AT",4} {"SPENT USD",10} {"LIMIT USD",10}  DELIVERY / MESSAGE");
            foreach (var s in alerts)
            {
                var a = s.Alert;
                var delivery = s.Deliveries.Count == 0 ? "no webhook" : string.Join("; ", s.Deliveries.Select(d => $"{d.Webhook}: {Describe(d)}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{a.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {a.Kind.ToString().ToLowerInvariant(),-9} {Truncate(a.Level.ToString().ToLowerInvariant() + " " + a.Name, 24),-24} {(a.Threshold is { } t ? t + "%" : "-"),4} {a.Spent,10:0.00} {a.Limit,10:0.00}  {delivery}"));
                Console.WriteLine($"{"",20}  {a.Message}");
            }
            Console.WriteLine($"{alerts.Count} alerts, {alerts.Count(a => a.Deliveries.Any(d => d.DeliveredAt is null))} with undelivered webhooks");
            return 0;
        });
        return command;
    }

    private static string Describe(AlertDelivery d) => d.DeliveredAt is { } at
        ? string.Create(CultureInfo.InvariantCulture, $"delivered {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} after {d.Attempts} attempt{(d.Attempts == 1 ? "" : "s")}")
        : string.Create(CultureInfo.InvariantCulture, $"pending, {d.Attempts} failed attempt{(d.Attempts == 1 ? "" : "s")}{(d.LastError is null ? "" : $" ({d.LastError})")}, next {d.NextAttemptAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}");

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
