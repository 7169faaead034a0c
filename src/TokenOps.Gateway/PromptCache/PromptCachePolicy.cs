using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.PromptCache;

/// <summary>Prompt-cache help in force for one request: on, with the TTL of the breakpoints it adds.</summary>
public readonly record struct PromptCacheHelp(string Ttl);

/// <summary>
/// tokenops.json "promptCache", resolved per request: each setting comes from the most specific level that gives it (the
/// caller's team, then the route, then the top level). Off unless some level turns it on.
/// </summary>
public sealed class PromptCachePolicy(PromptCacheOptions options)
{
    public bool IsOff { get; } = options.IsOff;

    public PromptCacheHelp? For(string route, string? team)
    {
        if (IsOff || !PromptCacheOptions.HelpedRoutes.Contains(route, StringComparer.Ordinal)) return null;
        var t = team is not null ? options.Teams.GetValueOrDefault(team) : null;
        var r = options.Routes.GetValueOrDefault(route);
        if (!(t?.Enabled ?? r?.Enabled ?? options.Enabled ?? false)) return null;
        return new PromptCacheHelp(t?.Ttl ?? r?.Ttl ?? options.Ttl ?? "5m");
    }
}
