using TokenOps.Core.Outcomes;

namespace TokenOps.Gateway.Configuration;

/// <summary>
/// Cost per outcome (tokenops.json "outcomes"): webhook secrets (by environment variable or file, never inline), how external
/// logins map to TokenOps people, the fallback linking window, the adoption date for baselines, and ROI valuation inputs.
/// </summary>
public sealed class OutcomeOptions
{
    /// <summary>Environment variable holding the GitHub webhook secret (X-Hub-Signature-256). Unset: /webhooks/github answers 503.</summary>
    public string GitHubSecretEnv { get; set; } = "TOKENOPS_GITHUB_WEBHOOK_SECRET";
    /// <summary>File holding the GitHub webhook secret (used when the environment variable is unset).</summary>
    public string? GitHubSecretFile { get; set; }
    /// <summary>Environment variable holding the ticket webhook secret (HMAC or shared-secret header). Unset: /webhooks/tickets answers 503.</summary>
    public string TicketSecretEnv { get; set; } = "TOKENOPS_TICKET_WEBHOOK_SECRET";
    public string? TicketSecretFile { get; set; }

    /// <summary>External identity (GitHub login, Jira assignee name/email, Linear assignee) → TokenOps person. Default: the same name.</summary>
    public Dictionary<string, string> People { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Repository ("acme/shop" or "shop") or ticket project key ("PROJ", "ENG") → TokenOps project. Default: the repository's name or the project key.</summary>
    public Dictionary<string, string> Projects { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Fallback window for outcomes without a start time: the author's spend this many days before completion.</summary>
    public double FallbackWindowDays { get; set; } = 14;

    /// <summary>When the organisation adopted AI tooling; reports compare outcomes per week and cost per outcome before and after it.</summary>
    public DateTimeOffset? AdoptionDate { get; set; }

    /// <summary>Hours saved per outcome by type (pr, ticket, feature, incident, custom); outcomes with a stated value use that instead.</summary>
    public Dictionary<string, decimal> HoursSavedByType { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Hourly rate in USD when neither a tier nor a team rate applies.</summary>
    public decimal DefaultHourlyRateUsd { get; set; }
    public Dictionary<string, decimal> HourlyRateByTeam { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, decimal> HourlyRateByTier { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Person → tier (e.g. "senior", "junior"), looked up in HourlyRateByTier.</summary>
    public Dictionary<string, string> TierByPerson { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>AI costs outside the ledger (tool licences, integration, oversight) in USD per month, added to the cost in ROI.</summary>
    public decimal OtherAiCostPerMonthUsd { get; set; }

    /// <summary>Largest webhook body accepted, in bytes.</summary>
    public long MaxWebhookBodyBytes { get; set; } = 5 * 1024 * 1024;

    public TimeSpan FallbackWindow => TimeSpan.FromDays(FallbackWindowDays);

    public OutcomeValuation Valuation() => new()
    {
        HoursSavedByType = HoursSavedByType.ToDictionary(p => OutcomeTypes.TryParse(p.Key, out var t) ? t : OutcomeType.Custom, p => p.Value),
        DefaultHourlyRateUsd = DefaultHourlyRateUsd,
        HourlyRateByTeam = new Dictionary<string, decimal>(HourlyRateByTeam, StringComparer.OrdinalIgnoreCase),
        HourlyRateByTier = new Dictionary<string, decimal>(HourlyRateByTier, StringComparer.OrdinalIgnoreCase),
        TierByPerson = new Dictionary<string, string>(TierByPerson, StringComparer.OrdinalIgnoreCase),
        OtherCostPerMonthUsd = OtherAiCostPerMonthUsd,
    };

    /// <summary>Start-time checks; throws <see cref="ConfigurationException"/> naming the key.</summary>
    public void Validate(string source)
    {
        void Fail(string key, string problem) => throw new ConfigurationException($"{source}: outcomes.{key} {problem}");
        if (FallbackWindowDays is <= 0 or > 365) Fail("fallbackWindowDays", "must be between 0 and 365");
        foreach (var (type, hours) in HoursSavedByType)
        {
            if (!OutcomeTypes.TryParse(type, out _)) Fail($"hoursSavedByType.{type}", $"is not an outcome type ({OutcomeTypes.Accepted})");
            if (hours < 0) Fail($"hoursSavedByType.{type}", "must not be negative");
        }
        if (DefaultHourlyRateUsd < 0) Fail("defaultHourlyRateUsd", "must not be negative");
        if (OtherAiCostPerMonthUsd < 0) Fail("otherAiCostPerMonthUsd", "must not be negative");
        foreach (var (team, rate) in HourlyRateByTeam) if (rate < 0) Fail($"hourlyRateByTeam.{team}", "must not be negative");
        foreach (var (tier, rate) in HourlyRateByTier) if (rate < 0) Fail($"hourlyRateByTier.{tier}", "must not be negative");
        foreach (var (person, tier) in TierByPerson)
            if (!HourlyRateByTier.ContainsKey(tier)) Fail($"tierByPerson.{person}", $"names tier \"{tier}\", which is not under hourlyRateByTier");
        if (GitHubSecretFile is { } gh && !File.Exists(gh)) Fail("gitHubSecretFile", $"names {gh}, which does not exist");
        if (TicketSecretFile is { } tf && !File.Exists(tf)) Fail("ticketSecretFile", $"names {tf}, which does not exist");
        if (MaxWebhookBodyBytes < 1024) Fail("maxWebhookBodyBytes", "must be at least 1024");
    }

    /// <summary>The GitHub webhook secret, or null when not configured.</summary>
    public Secret? GitHubSecret() => Resolve(GitHubSecretEnv, GitHubSecretFile);

    public Secret? TicketSecret() => Resolve(TicketSecretEnv, TicketSecretFile);

    private static Secret? Resolve(string? env, string? file)
    {
        if (!string.IsNullOrEmpty(env) && Environment.GetEnvironmentVariable(env) is { Length: > 0 } value) return new Secret(value);
        if (file is not null && File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } text) return new Secret(text);
        return null;
    }
}
