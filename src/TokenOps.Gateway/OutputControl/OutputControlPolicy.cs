using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.OutputControl;

/// <summary>The settings in force for one request; a null setting is not applied.</summary>
public readonly record struct OutputLimits(long? DefaultMaxTokens, long? CapMaxTokens, string? MaxEffort, long? MaxBudgetTokens)
{
    public bool IsEmpty => DefaultMaxTokens is null && CapMaxTokens is null && MaxEffort is null && MaxBudgetTokens is null;
}

/// <summary>
/// tokenops.json "outputControl", resolved per request: each setting comes from the most specific level that gives it
/// (the caller's team, then their tier, then the route, then the top level). A default above the cap in force is lowered
/// to the cap (a team's low cap also bounds the organisation's default).
/// </summary>
public sealed class OutputControlPolicy(OutputControlOptions options)
{
    public bool IsEmpty { get; } = options.IsEmpty;

    public OutputLimits For(string route, string? tier, string? team)
    {
        if (IsEmpty) return default;
        OutputControlLevelOptions? t = team is not null ? options.Teams.GetValueOrDefault(team) : null;
        OutputControlLevelOptions? ti = tier is not null ? options.Tiers.GetValueOrDefault(tier) : null;
        var r = options.Routes.GetValueOrDefault(route);
        var defaultMax = t?.MaxTokens?.Default ?? ti?.MaxTokens?.Default ?? r?.MaxTokens?.Default ?? options.MaxTokens?.Default;
        var cap = t?.MaxTokens?.Cap ?? ti?.MaxTokens?.Cap ?? r?.MaxTokens?.Cap ?? options.MaxTokens?.Cap;
        if (defaultMax > cap) defaultMax = cap;
        return new OutputLimits(defaultMax, cap,
            t?.Reasoning?.MaxEffort ?? ti?.Reasoning?.MaxEffort ?? r?.Reasoning?.MaxEffort ?? options.Reasoning?.MaxEffort,
            t?.Reasoning?.MaxBudgetTokens ?? ti?.Reasoning?.MaxBudgetTokens ?? r?.Reasoning?.MaxBudgetTokens ?? options.Reasoning?.MaxBudgetTokens);
    }
}
