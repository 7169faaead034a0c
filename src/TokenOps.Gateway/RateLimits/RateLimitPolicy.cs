using System.Collections.Concurrent;
using TokenOps.Core.Identity;
using TokenOps.Core.RateLimits;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.RateLimits;

/// <summary>
/// The rate limits in force, immutable: tokenops.json's rules with the stored ones over them (a stored rule replaces
/// the configured rule of the same scope). Swapped whole when the store's version moves.
/// </summary>
public sealed class RateLimitPolicy
{
    private readonly Dictionary<string, RateLimitRule> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RateLimitRule> _people = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RateLimitRule> _teams = new(StringComparer.Ordinal);
    private readonly RateLimitRule? _defaultPerson;
    // A key's person and team never change, so what applies to it is worked out once per policy.
    private readonly ConcurrentDictionary<string, AppliedRateLimit[]> _byKey = new(StringComparer.Ordinal);

    private RateLimitPolicy(IReadOnlyList<RateLimitRule> rules, long version)
    {
        Rules = rules;
        Version = version;
        foreach (var rule in rules)
        {
            var name = rule.Scope.Name;
            switch (rule.Scope.Level)
            {
                case RateLimitLevel.Key: _keys[name] = rule; break;
                case RateLimitLevel.Person: _people[name] = rule; break;
                case RateLimitLevel.Team: _teams[name] = rule; break;
                default: _defaultPerson = rule; break;
            }
        }
    }

    public static RateLimitPolicy Empty { get; } = new([], 0);

    /// <summary>Every rule in force, ordered by scope id.</summary>
    public IReadOnlyList<RateLimitRule> Rules { get; }
    public long Version { get; }
    public bool IsEmpty => Rules.Count == 0;

    public static RateLimitPolicy Build(RateLimitOptions options, IReadOnlyList<StoredRateLimit> stored, long version)
    {
        var rules = new Dictionary<string, RateLimitRule>(StringComparer.Ordinal);
        void Add(RateLimitScope scope, RateLimitRuleOptions o) =>
            rules[scope.Id] = new RateLimitRule(scope, o.RequestsPerMinute, o.TokensPerMinute, o.Concurrent, RateLimitRule.FromConfig);
        if (options.DefaultPerson is { } d) Add(RateLimitScope.DefaultPerson, d);
        foreach (var (name, o) in options.Keys) Add(new RateLimitScope(RateLimitLevel.Key, name), o);
        foreach (var (name, o) in options.People) Add(new RateLimitScope(RateLimitLevel.Person, name), o);
        foreach (var (name, o) in options.Teams) Add(new RateLimitScope(RateLimitLevel.Team, name), o);
        foreach (var s in stored)
        {
            var scope = RateLimitScope.Parse(s.Scope);
            rules[scope.Id] = new RateLimitRule(scope, s.RequestsPerMinute, s.TokensPerMinute, s.Concurrent, RateLimitRule.FromStore);
        }
        return new RateLimitPolicy(rules.Values.OrderBy(r => r.Scope.Id, StringComparer.Ordinal).ToList(), version);
    }

    /// <summary>
    /// The limits a request with this key falls under, in the order a refusal is reported: the key's (by id, else by
    /// display prefix), the person's (their own rule, else the default, counted per person), the team's.
    /// </summary>
    public AppliedRateLimit[] For(VirtualKey key) => IsEmpty ? [] : _byKey.GetOrAdd(key.Id, _ => Resolve(key));

    private AppliedRateLimit[] Resolve(VirtualKey key)
    {
        var applied = new List<AppliedRateLimit>(3);
        // The display prefix as `keys list` shows it ("tok_AbCd…"), or without its ellipsis.
        if (_keys.TryGetValue(key.Id, out var byKey) || _keys.TryGetValue(key.DisplayPrefix, out byKey) || _keys.TryGetValue(key.DisplayPrefix.TrimEnd('…'), out byKey))
            applied.Add(Applied("key:" + key.Id, byKey));
        if (_people.TryGetValue(key.Person, out var person) || (person = _defaultPerson) is not null)
            applied.Add(Applied("person:" + key.Person, person));
        if (_teams.TryGetValue(key.Team, out var team))
            applied.Add(Applied("team:" + key.Team, team));
        return [.. applied];
    }

    private static AppliedRateLimit Applied(string counterScope, RateLimitRule rule) =>
        new(counterScope, rule.RequestsPerMinute, rule.TokensPerMinute, rule.Concurrent);
}
