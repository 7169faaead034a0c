using System.Security.Cryptography;
using System.Text;

namespace TokenOps.Gateway.Configuration;

/// <summary>tokenops.json "alerts": thresholds, forecast alerts, webhooks and how often rules run.</summary>
public sealed class AlertOptions
{
    public static readonly IReadOnlyList<int> DefaultThresholds = [50, 80, 100];

    /// <summary>Percentages of a budget's limit that raise an alert (default 50, 80, 100). Null or empty: the default.</summary>
    public List<int>? Thresholds { get; set; }

    /// <summary>Raise "on pace to run out on day X" alerts from the forecast.</summary>
    public bool Forecasts { get; set; } = true;

    /// <summary>A forecast alert needs spend on at least this many distinct days (default 3): one burst is not a burn rate.</summary>
    public int ForecastMinDays { get; set; } = TokenOps.Core.Alerts.AlertRules.DefaultForecastMinDays;

    /// <summary>...and daily spend at most this unsteady: standard deviation over mean of the days (default 1.0).</summary>
    public decimal ForecastMaxVariation { get; set; } = TokenOps.Core.Alerts.AlertRules.DefaultForecastMaxVariation;

    public List<WebhookOptions> Webhooks { get; set; } = [];

    /// <summary>The weekly waste digest to every webhook (off unless enabled).</summary>
    public WasteDigestOptions WasteDigest { get; set; } = new();

    /// <summary>
    /// Budget levels that raise alerts ("organisation", "team", "person", "project"); null or empty: all. With token poker
    /// every person has a weekly budget, so an organisation may keep person alerts out of a shared channel.
    /// </summary>
    public List<string>? Levels { get; set; }

    public bool Covers(TokenOps.Core.Budgets.BudgetLevel level) =>
        Levels is not { Count: > 0 } levels || levels.Contains(level.ToString(), StringComparer.OrdinalIgnoreCase);

    /// <summary>How often alert rules are evaluated against the current budgets.</summary>
    public double EvaluateEverySeconds { get; set; } = 60;

    /// <summary>First retry delay of a failed webhook delivery; each later retry doubles it, up to <see cref="MaxBackoffSeconds"/>. Retries never stop.</summary>
    public double InitialBackoffSeconds { get; set; } = 5;

    public double MaxBackoffSeconds { get; set; } = 3600;

    public IReadOnlyList<int> EffectiveThresholds => Thresholds is { Count: > 0 } t ? t : DefaultThresholds;

    /// <param name="serving">Webhook URLs named by environment variables must be set (reading commands deliver nothing).</param>
    public void Validate(string source, bool serving = true)
    {
        if (!Enum.TryParse<DayOfWeek>(WasteDigest.Day, ignoreCase: true, out _) || int.TryParse(WasteDigest.Day, out _))
            throw new ConfigurationException($"{source}: alerts.wasteDigest.day must be a day of the week (monday … sunday), not \"{WasteDigest.Day}\"");
        if (WasteDigest.Hour is < 0 or > 23) throw new ConfigurationException($"{source}: alerts.wasteDigest.hour must be 0–23 (UTC)");
        if (WasteDigest.Top is < 1 or > 50) throw new ConfigurationException($"{source}: alerts.wasteDigest.top must be 1–50");
        void Fail(string key, string problem) => throw new ConfigurationException($"{source}: alerts.{key} {problem}");
        if (EffectiveThresholds.Any(t => t is <= 0 or > 1000)) Fail("thresholds", "must be percentages between 1 and 1000");
        if (EvaluateEverySeconds is < 0.05 or > 86_400) Fail("evaluateEverySeconds", "must be between 0.05 and 86400");
        if (InitialBackoffSeconds is < 0.01 or > 86_400) Fail("initialBackoffSeconds", "must be between 0.01 and 86400");
        if (ForecastMinDays is < 1 or > 366) Fail("forecastMinDays", "must be between 1 and 366");
        if (ForecastMaxVariation is < 0m or > 1000m) Fail("forecastMaxVariation", "must be between 0 and 1000");
        if (MaxBackoffSeconds < InitialBackoffSeconds || MaxBackoffSeconds > 7 * 86_400) Fail("maxBackoffSeconds", "must be at least initialBackoffSeconds and at most 604800");
        foreach (var level in Levels ?? [])
            if (!Enum.TryParse<TokenOps.Core.Budgets.BudgetLevel>(level, ignoreCase: true, out _) || int.TryParse(level, out _))
                Fail("levels", $"must name budget levels (organisation, team, person, project), not \"{level}\"");
        for (var i = 0; i < Webhooks.Count; i++)
        {
            var w = Webhooks[i];
            if (w.Format is not ("slack" or "json")) Fail($"webhooks[{i}].format", $"must be \"slack\" or \"json\", not \"{w.Format}\"");
            if (w.Url is null == w.UrlEnv is null) Fail($"webhooks[{i}]", "needs exactly one of url or urlEnv");
            if (w.UrlEnv is { } env && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(env)))
            {
                if (serving) Fail($"webhooks[{i}].urlEnv", $"names the environment variable {env}, which is not set");
                continue;
            }
            var url = w.ResolveUrl();
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                Fail($"webhooks[{i}]", "url must be an absolute http(s) URL");
        }
        var ids = Webhooks.Select(w => w.Id).ToList();
        if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Count) Fail("webhooks", "have duplicate names (or the same url and format twice)");
    }
}

public sealed class WebhookOptions
{
    /// <summary>Shown in `tokenops alerts` and stored with deliveries; default "{format}-" + 8 hex of the URL's hash (URLs can hold secrets).</summary>
    public string? Name { get; set; }
    public string? Url { get; set; }
    /// <summary>Environment variable holding the URL (Slack webhook URLs are secrets).</summary>
    public string? UrlEnv { get; set; }
    /// <summary>"slack" (body {"text": …}) or "json" (typed fields).</summary>
    public string Format { get; set; } = "slack";

    public string? ResolveUrl() => Url ?? (UrlEnv is { } env ? Environment.GetEnvironmentVariable(env) : null);

    public string Id => Name ?? $"{Format}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ResolveUrl() ?? "")))[..8]}";
}

/// <summary>
/// tokenops.json "alerts": {"wasteDigest": {...}}: once a week, at <see cref="Day"/> <see cref="Hour"/> UTC, the past
/// week's top waste findings with dollars go to every webhook, once across the fleet (the alert outbox dedupes them).
/// </summary>
public sealed class WasteDigestOptions
{
    public bool Enabled { get; set; }
    /// <summary>The day it is sent: monday … sunday.</summary>
    public string Day { get; set; } = "monday";
    /// <summary>The hour (UTC, 0–23) it is sent.</summary>
    public int Hour { get; set; } = 9;
    /// <summary>How many findings it lists.</summary>
    public int Top { get; set; } = 5;
    /// <summary>Name people in the digest; off by default: a shared channel sees teams and detectors, not who (visibility without blame).</summary>
    public bool NamePeople { get; set; }

    public DayOfWeek DayOfWeek => Enum.Parse<DayOfWeek>(Day, ignoreCase: true);
}
