namespace TokenOps.Core.Budgets;

/// <summary>Hard: refuse beyond the limit. Soft: serve, but apply the budget's <see cref="SoftAction"/>.</summary>
public enum BudgetMode
{
    Hard,
    Soft,
}

/// <summary>What a soft budget does to a request that would take it past its limit.</summary>
public enum SoftAction
{
    /// <summary>Serve it; say so in response headers and raise an alert.</summary>
    Warn,
    /// <summary>Serve it with the cheaper model configured for the person's tier.</summary>
    Degrade,
    /// <summary>Serve it only with an X-TokenOps-Justification header, which is recorded.</summary>
    RequireJustification,
}

/// <summary>Unspent budget carried into the next period, at most <see cref="Ceiling"/> USD.</summary>
public sealed record Rollover(bool Enabled, decimal Ceiling)
{
    public static readonly Rollover Off = new(false, 0m);

    /// <summary>What the previous period leaves to the next: its unspent base limit, capped by the ceiling.</summary>
    public decimal Carry(decimal baseLimit, decimal previousSpent) =>
        Enabled ? Math.Clamp(baseLimit - previousSpent, 0m, Math.Max(0m, Ceiling)) : 0m;
}

/// <summary>
/// One budget as configured: whose it is (level + name), how much per period, and what happens at the limit.
/// Budgets belong to people, teams, projects and the organisation; a person's keys all share the person's budgets.
/// </summary>
public sealed record BudgetPolicy(
    string Id,
    BudgetLevel Level,
    string Name,
    decimal Limit,
    BudgetPeriod Period,
    BudgetMode Mode,
    SoftAction SoftAction,
    Rollover Rollover)
{
    public const string OrganisationName = "org";
    public const string PokerPrefix = "poker:";

    public bool Hard => Mode == BudgetMode.Hard;

    /// <summary>"org", "team:core", "person:ada", "project:search": one budget per level and name.</summary>
    public static string IdFor(BudgetLevel level, string name) => level switch
    {
        BudgetLevel.Organisation => OrganisationName,
        BudgetLevel.Team => "team:" + name,
        BudgetLevel.Person => "person:" + name,
        _ => "project:" + name,
    };

    /// <summary>True when both policies count spend over the same windows (so a live counter can keep its totals).</summary>
    public bool SamePeriodAs(BudgetPolicy other) =>
        Period.Kind == other.Period.Kind && Period.Days == other.Period.Days && Period.TimeZone.Id == other.Period.TimeZone.Id;
}

/// <summary>A group of people (for example senior, junior) with its own stipend, allowed models and degrade model.</summary>
public sealed record TierPolicy(string Name, IReadOnlySet<string>? AllowedModels, string? DegradeModel)
{
    public bool Allows(string model) => AllowedModels is null || AllowedModels.Contains(model);
}
