using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TokenOps.Core.Budgets;

namespace TokenOps.Core.Alerts;

public enum AlertKind
{
    /// <summary>Spend crossed a configured percentage of the limit.</summary>
    Threshold,
    /// <summary>At the current burn rate the budget runs out before its period ends.</summary>
    Forecast,
    /// <summary>The weekly waste digest: last week's top waste findings with dollars (not about one budget).</summary>
    WasteDigest,
}

/// <summary>
/// One alert, sent once per budget and period: <see cref="DedupeKey"/> (budget|period start|kind|threshold) is unique in
/// storage, and <see cref="Id"/> is derived from it, so evaluating the same situation again adds nothing.
/// </summary>
public sealed record Alert(
    string Id,
    string DedupeKey,
    AlertKind Kind,
    string BudgetId,
    BudgetLevel Level,
    string Name,
    int? Threshold,
    decimal Spent,
    decimal Limit,
    DateTimeOffset? ProjectedExhaustion,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    string Message,
    DateTimeOffset CreatedAt)
{
    public static string KeyFor(string budgetId, DateTimeOffset periodStart, AlertKind kind, int? threshold) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{budgetId}|{periodStart.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}|{kind.ToString().ToLowerInvariant()}|{threshold}");

    public static string IdFor(string dedupeKey) =>
        "alr_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dedupeKey)))[..20];
}
