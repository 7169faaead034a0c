using TokenOps.Core.Identity;
using TokenOps.Gateway.OutputControl;

namespace TokenOps.Gateway.Configuration;

/// <summary>
/// tokenops.json "outputControl": output limits and reasoning ceilings the gateway applies to requests. The top level is
/// the default for every request; "routes" (openai.chat, openai.responses, anthropic.messages), "tiers" (budgets.tiers)
/// and "teams" override it, setting by setting: for each setting the most specific level that gives it wins
/// (team, then tier, then route, then the top level).
/// </summary>
public sealed class OutputControlOptions
{
    /// <summary>The routes whose output can be controlled; the others produce no text to limit.</summary>
    public static readonly IReadOnlyList<string> ControllableRoutes = ["openai.chat", "openai.responses", "anthropic.messages", "openai.completions"];

    /// <summary>The fewest output tokens a limit may set: the Responses API refuses fewer than 16.</summary>
    public const long MinMaxTokens = 16;

    /// <summary>Anthropic's smallest thinking budget.</summary>
    public const long MinBudgetTokens = 1024;

    public MaxTokensOptions? MaxTokens { get; set; }
    public ReasoningOptions? Reasoning { get; set; }
    public Dictionary<string, OutputControlLevelOptions> Routes { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, OutputControlLevelOptions> Tiers { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, OutputControlLevelOptions> Teams { get; set; } = new(StringComparer.Ordinal);

    public bool IsEmpty => MaxTokens is null && Reasoning is null && Routes.Count == 0 && Tiers.Count == 0 && Teams.Count == 0;

    public void Validate(string source, IReadOnlyCollection<string> tiers)
    {
        void Fail(string key, string problem) => throw new ConfigurationException($"{source}: outputControl.{key} {problem}");

        Check(new OutputControlLevelOptions { MaxTokens = MaxTokens, Reasoning = Reasoning }, "", Fail);
        foreach (var (route, level) in Routes)
        {
            if (!ControllableRoutes.Contains(route, StringComparer.Ordinal))
                Fail($"routes.{route}", $"is not a route whose output can be controlled: use {string.Join(", ", ControllableRoutes)}");
            Check(level, $"routes.{route}.", Fail);
            if (route == "anthropic.messages" && level.MaxTokens?.Default is not null)
                Fail("routes.anthropic.messages.maxTokens.default", "has no effect: Anthropic requires max_tokens in every request, so only a cap applies");
        }
        foreach (var (tier, level) in Tiers)
        {
            if (!tiers.Contains(tier, StringComparer.Ordinal))
                Fail($"tiers.{tier}", "names a tier that is not under budgets.tiers");
            Check(level, $"tiers.{tier}.", Fail);
        }
        foreach (var (team, level) in Teams)
        {
            if (string.IsNullOrWhiteSpace(team) || team != team.Trim()) Fail("teams", "names must be non-empty, without surrounding spaces");
            if (Names.Problem(team) is { } problem) Fail("teams", $"a name {problem}");
            Check(level, $"teams.{team}.", Fail);
        }
    }

    private static void Check(OutputControlLevelOptions level, string prefix, Action<string, string> fail)
    {
        if (level.MaxTokens is { } m)
        {
            if (m.Default is { } d && d < MinMaxTokens) fail($"{prefix}maxTokens.default", $"must be at least {MinMaxTokens}, not {d}");
            if (m.Cap is { } c && c < MinMaxTokens) fail($"{prefix}maxTokens.cap", $"must be at least {MinMaxTokens}, not {c}");
            if (m is { Default: { } def, Cap: { } cap } && cap < def)
                fail($"{prefix}maxTokens.cap", $"({cap}) is below maxTokens.default ({def}): a default the cap would lower at once");
        }
        if (level.Reasoning is { } r)
        {
            if (r.MaxEffort is { } e && !ReasoningEffort.IsCeiling(e))
                fail($"{prefix}reasoning.maxEffort", $"must be one of {string.Join(", ", ReasoningEffort.Ceilings)}, not \"{e}\"");
            if (r.MaxBudgetTokens is { } b && b < MinBudgetTokens)
                fail($"{prefix}reasoning.maxBudgetTokens", $"must be at least {MinBudgetTokens} (Anthropic's smallest thinking budget), not {b}");
        }
    }
}

/// <summary>One level's settings (a route's, a tier's or a team's); an absent setting is taken from the less specific levels.</summary>
public sealed class OutputControlLevelOptions
{
    public MaxTokensOptions? MaxTokens { get; set; }
    public ReasoningOptions? Reasoning { get; set; }
}

public sealed class MaxTokensOptions
{
    /// <summary>The output limit set on a request that sets none (OpenAI chat and responses; Anthropic requires one).</summary>
    public long? Default { get; set; }

    /// <summary>A request's output limit above this is lowered to it.</summary>
    public long? Cap { get; set; }
}

public sealed class ReasoningOptions
{
    /// <summary>The highest OpenAI reasoning effort (chat <c>reasoning_effort</c>, responses <c>reasoning.effort</c>): minimal, low, medium or high.</summary>
    public string? MaxEffort { get; set; }

    /// <summary>The largest Anthropic <c>thinking.budget_tokens</c>.</summary>
    public long? MaxBudgetTokens { get; set; }
}
