using System.Globalization;
using System.Text;
using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Core.Waste;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Waste;

/// <summary>
/// The weekly waste digest (alerts.wasteDigest): at the configured day and hour (UTC) it runs the waste detectors over
/// the seven days before and puts one alert of kind <see cref="AlertKind.WasteDigest"/> in the alert outbox, for every
/// webhook. The outbox does the rest: its dedupe key (the week) makes it once across the fleet, its deliveries retry.
/// The text names detectors, teams, dollars and fixes; people only when <see cref="WasteDigestOptions.NamePeople"/> says so.
/// </summary>
/// <param name="catalog">The price catalog in force (it follows price updates).</param>
public sealed class WasteDigest(IAlertStore alerts, IWasteRowReader rows, IKeyStore keys, IOutcomeStore outcomes, IBudgetStore budgets,
    Func<Core.Pricing.PriceCatalog> catalog, GatewayOptions options, TimeProvider time, ILogger<WasteDigest> log)
{
    private string? _lastWeek;

    /// <summary>The latest send time at or before <paramref name="now"/>: that week's <c>day</c> at <c>hour</c> UTC.</summary>
    public static DateTimeOffset LatestDue(DateTimeOffset now, DayOfWeek day, int hour)
    {
        var utc = now.ToUniversalTime();
        var candidate = new DateTimeOffset(utc.Year, utc.Month, utc.Day, hour, 0, 0, TimeSpan.Zero)
            .AddDays(-(((int)utc.DayOfWeek - (int)day + 7) % 7));
        return candidate > utc ? candidate.AddDays(-7) : candidate;
    }

    /// <summary>Adds this week's digest once it is due and not yet in the outbox; returns it, or null.</summary>
    public Alert? TryAdd()
    {
        var digest = options.Alerts.WasteDigest;
        if (!digest.Enabled || options.Alerts.Webhooks.Count == 0) return null;
        var now = time.GetUtcNow();
        var due = LatestDue(now, digest.DayOfWeek, digest.Hour);
        var key = Alert.KeyFor("waste-digest", due, AlertKind.WasteDigest, null);
        if (_lastWeek == key) return null;
        var id = Alert.IdFor(key);
        // After a restart, or when another replica sent it: the outbox already has it.
        if (alerts.List(due, 200).Any(a => a.Alert.Id == id))
        {
            _lastWeek = key;
            return null;
        }
        var from = due.AddDays(-7);
        var context = WasteContextBuilder.Build(from, due, catalog(), options.Routing, keys, outcomes, budgets);
        var findings = WasteScanner.Run(rows.Read(from, due), context);
        var alert = new Alert(id, key, AlertKind.WasteDigest, "waste-digest", BudgetLevel.Organisation, "Weekly waste digest", null,
            findings.Sum(f => f.WastedUsd), 0m, null, from, due, Message(findings, from, due, digest), now);
        _lastWeek = key;
        if (!alerts.TryAdd(alert, options.Alerts.Webhooks.Select(w => w.Id))) return null;
        log.LogInformation("Weekly waste digest queued for {Count} webhook(s): {Findings} findings, {Usd} USD", options.Alerts.Webhooks.Count, findings.Count, alert.Spent);
        return alert;
    }

    /// <summary>The digest's text: the week's total, then the top findings (detector, team, dollars, the fix).</summary>
    public static string Message(IReadOnlyList<WasteFinding> findings, DateTimeOffset from, DateTimeOffset until, WasteDigestOptions options)
    {
        var ci = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(ci, $"TokenOps weekly waste digest, {from.UtcDateTime:yyyy-MM-dd} to {until.UtcDateTime:yyyy-MM-dd}: ");
        if (findings.Count == 0) return text.Append("no waste found.").ToString();
        text.Append(ci, $"${findings.Sum(f => f.WastedUsd):0.00} in {findings.Count} finding(s).");
        foreach (var group in findings.GroupBy(f => f.Detector).OrderByDescending(g => g.Sum(f => f.WastedUsd)))
            text.Append(ci, $" {group.Key} ${group.Sum(f => f.WastedUsd):0.00};");
        text.Append(ci, $"\nTop {Math.Min(options.Top, findings.Count)}:");
        var rank = 0;
        foreach (var f in findings.Take(options.Top))
        {
            var who = options.NamePeople && f.Person is not null ? $"{f.Person} ({f.Team ?? "no team"})" : f.Team ?? "no team";
            text.Append(ci, $"\n{++rank}. {f.Detector} · {who} · ${f.WastedUsd:0.00} · {f.Fix}");
        }
        return text.Append("\nDetails: tokenops waste --period 7d, or the dashboard's Waste page.").ToString();
    }
}
