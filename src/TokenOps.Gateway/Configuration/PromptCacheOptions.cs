using TokenOps.Core.Identity;

namespace TokenOps.Gateway.Configuration;

/// <summary>
/// tokenops.json "promptCache": prompt-cache help, off unless turned on. For Anthropic messages that carry no
/// cache_control, the gateway marks the stable prefix (tools, system, earlier turns) with cache breakpoints; for OpenAI
/// chat and responses without a prompt_cache_key, it sets one from the session. The top level is the default for every
/// request; "routes" (openai.chat, openai.responses, anthropic.messages) and "teams" override it, setting by setting:
/// the team's wins, then the route's, then the top level.
/// </summary>
public sealed class PromptCacheOptions
{
    /// <summary>The routes the gateway can help; the others have no prompt cache.</summary>
    public static readonly IReadOnlyList<string> HelpedRoutes = ["openai.chat", "openai.responses", "anthropic.messages"];

    /// <summary>Anthropic cache TTLs: 5 minutes (writes at 1.25x input) or 1 hour (2x).</summary>
    public static readonly IReadOnlyList<string> Ttls = ["5m", "1h"];

    public bool? Enabled { get; set; }

    /// <summary>The TTL of the breakpoints the gateway adds (Anthropic): "5m" (the default) or "1h".</summary>
    public string? Ttl { get; set; }

    public Dictionary<string, PromptCacheLevelOptions> Routes { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, PromptCacheLevelOptions> Teams { get; set; } = new(StringComparer.Ordinal);

    /// <summary>True when no level turns the help on: the stage then costs nothing.</summary>
    public bool IsOff => Enabled != true && Routes.Values.All(l => l.Enabled != true) && Teams.Values.All(l => l.Enabled != true);

    public void Validate(string source)
    {
        void Fail(string key, string problem) => throw new ConfigurationException($"{source}: promptCache.{key} {problem}");

        CheckTtl(Ttl, "ttl", Fail);
        foreach (var (route, level) in Routes)
        {
            if (!HelpedRoutes.Contains(route, StringComparer.Ordinal))
                Fail($"routes.{route}", $"is not a route with a provider prompt cache: use {string.Join(", ", HelpedRoutes)}");
            CheckTtl(level.Ttl, $"routes.{route}.ttl", Fail);
        }
        foreach (var (team, level) in Teams)
        {
            if (string.IsNullOrWhiteSpace(team) || team != team.Trim()) Fail("teams", "names must be non-empty, without surrounding spaces");
            if (Names.Problem(team) is { } problem) Fail("teams", $"a name {problem}");
            CheckTtl(level.Ttl, $"teams.{team}.ttl", Fail);
        }
    }

    private static void CheckTtl(string? ttl, string key, Action<string, string> fail)
    {
        if (ttl is not null && !Ttls.Contains(ttl, StringComparer.Ordinal)) fail(key, $"must be \"5m\" or \"1h\", not \"{ttl}\"");
    }
}

/// <summary>One level's settings (a route's or a team's); an absent setting is taken from the less specific levels.</summary>
public sealed class PromptCacheLevelOptions
{
    public bool? Enabled { get; set; }
    public string? Ttl { get; set; }
}
