using TokenOps.Core.Identity;
using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.RateLimits;

public enum RateLimitLevel
{
    Key,
    Person,
    Team,
    /// <summary>The default rule for every person without one of their own; it counts per person.</summary>
    DefaultPerson,
}

/// <summary>What a rule is for: its level and name; <see cref="Id"/> is its stored form ("team:payments", "default:person").</summary>
public readonly record struct RateLimitScope(RateLimitLevel Level, string Name)
{
    public const string DefaultPersonId = "default:person";

    public string Id => Level switch
    {
        RateLimitLevel.Key => "key:" + Name,
        RateLimitLevel.Person => "person:" + Name,
        RateLimitLevel.Team => "team:" + Name,
        _ => DefaultPersonId,
    };

    public static RateLimitScope DefaultPerson => new(RateLimitLevel.DefaultPerson, "");

    public static RateLimitScope Of(RateLimitLevel level, string? name)
    {
        if (level == RateLimitLevel.DefaultPerson) return DefaultPerson;
        if (string.IsNullOrWhiteSpace(name)) throw new ConfigurationException($"a {level.ToString().ToLowerInvariant()} rate limit needs a name");
        if (Names.Problem(name) is { } problem) throw new ConfigurationException($"the rate limit's name {problem}");
        return new RateLimitScope(level, name.Trim());
    }

    /// <summary>Parses a stored or typed id: key:ID, person:NAME, team:NAME or default:person.</summary>
    public static RateLimitScope Parse(string id)
    {
        if (id == DefaultPersonId) return DefaultPerson;
        var colon = id.IndexOf(':');
        var level = colon < 0 ? null : id[..colon] switch
        {
            "key" => RateLimitLevel.Key,
            "person" => RateLimitLevel.Person,
            "team" => (RateLimitLevel?)RateLimitLevel.Team,
            _ => null,
        };
        if (level is null) throw new ConfigurationException($"a rate limit scope is key:ID, person:NAME, team:NAME or {DefaultPersonId}");
        return Of(level.Value, id[(colon + 1)..]);
    }
}

/// <summary>A rule in force: its scope, its bounds (null: unlimited) and where it comes from ("config" or "set").</summary>
public sealed record RateLimitRule(RateLimitScope Scope, long? RequestsPerMinute, long? TokensPerMinute, long? Concurrent, string Source)
{
    public const string FromConfig = "config";
    public const string FromStore = "set";
}
