namespace TokenOps.Gateway.Configuration;

/// <summary>
/// tokenops.json "retention": how long per-request ledger detail is kept. Rollups (reports, dashboard) are kept for
/// ever; older rows are exported to gzipped CSV in <see cref="ExportDirectory"/> and then purged, daily.
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>Days of ledger detail to keep; absent keeps every row.</summary>
    public int? LedgerDays { get; set; }

    /// <summary>Where the export before each purge goes (default DATA/retention).</summary>
    public string? ExportDirectory { get; set; }

    /// <summary>Hours between checks in a running gateway.</summary>
    public double CheckEveryHours { get; set; } = 24;

    /// <summary>
    /// Budgets read their period's spend (and rollover the previous period's) from the ledger, so detail must outlive
    /// two calendar months and the longest rolling window plus a month.
    /// </summary>
    public static int Minimum(BudgetsOptions budgets)
    {
        var rolling = new[] { budgets.Organisation }.Concat(budgets.Teams.Values).Concat(budgets.People.Values).Concat(budgets.Projects.Values)
            .Concat(budgets.Tiers.Values.Select(t => t.Stipend))
            .Select(b => b?.Period is { } p && p.StartsWith("rolling:", StringComparison.OrdinalIgnoreCase) && int.TryParse(p["rolling:".Length..], out var n) ? n : 0)
            .DefaultIfEmpty(0).Max();
        return Math.Max(62, rolling + 31);
    }

    public void Validate(string source, BudgetsOptions budgets)
    {
        void Fail(string key, string problem) => throw new ConfigurationException($"{source}: retention.{key} {problem}");
        if (LedgerDays is { } days && days < Minimum(budgets))
            Fail("ledgerDays", $"must be at least {Minimum(budgets)}: budgets read the current and previous period's spend from the ledger detail");
        if (CheckEveryHours is < 0.01 or > 24 * 7) Fail("checkEveryHours", "must be between 0.01 and 168");
    }

    public string ExportPath(string dataDirectory) => ExportDirectory ?? Path.Combine(dataDirectory, "retention");
}
