using TokenOps.Core.Identity;

namespace TokenOps.Gateway.Configuration;

/// <summary>
/// tokenops.json "rateLimits": requests per minute, tokens per minute and requests in flight, per key (by key id or
/// display prefix), per person, per team, and a default for every person without a rule of their own. Every rule a
/// request falls under applies (its key's, its person's and its team's); `tokenops limits set` adds or replaces rules.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Each person's limit unless they have their own under <see cref="People"/> (each person counts separately).</summary>
    public RateLimitRuleOptions? DefaultPerson { get; set; }
    /// <summary>By key id or display prefix (see `tokenops keys list`).</summary>
    public Dictionary<string, RateLimitRuleOptions> Keys { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, RateLimitRuleOptions> People { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Shared by all of a team's requests.</summary>
    public Dictionary<string, RateLimitRuleOptions> Teams { get; set; } = new(StringComparer.Ordinal);

    public bool IsEmpty => DefaultPerson is null && Keys.Count == 0 && People.Count == 0 && Teams.Count == 0;

    public void Validate(string source)
    {
        if (DefaultPerson is { } d) d.Validate(source, "rateLimits.defaultPerson");
        foreach (var (section, rules) in new[] { ("keys", Keys), ("people", People), ("teams", Teams) })
            foreach (var (name, rule) in rules)
            {
                var key = $"rateLimits.{section}.{name}";
                if (string.IsNullOrWhiteSpace(name) || name != name.Trim()) throw new ConfigurationException($"{source}: rateLimits.{section} names must be non-empty, without surrounding spaces");
                if (Names.Problem(name) is { } problem) throw new ConfigurationException($"{source}: rateLimits.{section}: a name {problem}");
                rule.Validate(source, key);
            }
    }
}

/// <summary>One rule: any of the three bounds; an absent bound does not limit.</summary>
public sealed class RateLimitRuleOptions
{
    /// <summary>The largest bound: keeps every count exact (also as a Lua double in a shared backend).</summary>
    public const long MaxBound = 1_000_000_000_000;

    public long? RequestsPerMinute { get; set; }
    public long? TokensPerMinute { get; set; }
    /// <summary>Requests in flight at once (streams count until they end).</summary>
    public long? Concurrent { get; set; }

    public void Validate(string source, string key)
    {
        if (RequestsPerMinute is null && TokensPerMinute is null && Concurrent is null)
            throw new ConfigurationException($"{source}: {key} sets no limit: give requestsPerMinute, tokensPerMinute or concurrent");
        Check(source, $"{key}.requestsPerMinute", RequestsPerMinute);
        Check(source, $"{key}.tokensPerMinute", TokensPerMinute);
        Check(source, $"{key}.concurrent", Concurrent);
    }

    private static void Check(string source, string key, long? value)
    {
        if (value is < 1 or > MaxBound) throw new ConfigurationException($"{source}: {key} must be between 1 and {MaxBound}, not {value}");
    }
}
