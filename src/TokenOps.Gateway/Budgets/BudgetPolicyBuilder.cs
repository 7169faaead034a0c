using TokenOps.Core.Identity;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Budgets;

/// <summary>
/// Turns tokenops.json's budgets (and token poker) plus the budgets stored by the CLI/admin API into one immutable
/// <see cref="BudgetPolicySet"/>. A stored budget replaces a configured one with the same id. Every problem is a
/// <see cref="ConfigurationException"/> naming the key.
/// </summary>
public static class BudgetPolicyBuilder
{
    public static BudgetPolicySet Build(GatewayOptions options, IEnumerable<StoredBudget> stored, long version, string source = "configuration")
    {
        var b = options.Budgets;
        var zone = Zone(b.TimeZone, "budgets.timeZone", source);
        var policies = new Dictionary<string, BudgetPolicy>(StringComparer.Ordinal);
        void Add(BudgetLevel level, string name, BudgetOptions o, string key)
        {
            var p = FromOptions(level, name, o, zone, key, source);
            policies[p.Id] = p;
        }
        if (b.Organisation is { } org) Add(BudgetLevel.Organisation, BudgetPolicy.OrganisationName, org, "budgets.organisation");
        foreach (var (name, o) in b.Teams) Add(BudgetLevel.Team, name, o, $"budgets.teams.{name}");
        foreach (var (name, o) in b.Projects) Add(BudgetLevel.Project, name, o, $"budgets.projects.{name}");
        var tierByPerson = new Dictionary<string, TierPolicy>(StringComparer.Ordinal);
        foreach (var (tierName, tier) in b.Tiers)
        {
            var policy = new TierPolicy(tierName, tier.AllowedModels is { } allowed ? new HashSet<string>(allowed, StringComparer.Ordinal) : null, tier.DegradeModel);
            foreach (var person in tier.People)
            {
                if (tierByPerson.TryGetValue(person, out var other))
                    throw new ConfigurationException($"{source}: budgets.tiers.{tierName}.people lists {person}, who is already in tier {other.Name}");
                tierByPerson[person] = policy;
                if (tier.Stipend is { } stipend && !b.People.ContainsKey(person))
                    Add(BudgetLevel.Person, person, stipend, $"budgets.tiers.{tierName}.stipend");
            }
        }
        foreach (var (name, o) in b.People) Add(BudgetLevel.Person, name, o, $"budgets.people.{name}");
        CheckTeamsFitPool(policies.Values, source);
        foreach (var s in stored)
        {
            var storedZone = Zone(s.TimeZone, $"budget {s.Id} time zone", source);
            var period = BudgetPeriod.TryParse(s.Period, storedZone) ?? throw new ConfigurationException($"{source}: budget {s.Id} has period '{s.Period}'");
            policies[s.Id] = new BudgetPolicy(s.Id, s.Level, s.Name, NanoUsd.ToUsd(s.LimitNanos), period, s.Mode, s.SoftAction,
                s.Rollover ? new Rollover(true, NanoUsd.ToUsd(s.RolloverCeilingNanos)) : Rollover.Off);
        }
        var poker = options.Poker.Enabled
            ? new PokerHandPolicy(options.Poker.WeeklyHandUsd, Zone(options.Poker.TimeZone, "poker.timeZone", source))
            : null;
        return new BudgetPolicySet(policies.Values, tierByPerson, poker, version);
    }

    /// <summary>The largest limit or rollover ceiling: a billion USD per period, far inside the nano-USD long range.</summary>
    public const decimal MaxUsd = 1_000_000_000m;

    public static BudgetPolicy FromOptions(BudgetLevel level, string name, BudgetOptions o, TimeZoneInfo defaultZone, string key, string source)
    {
        void Fail(string field, string problem) => throw new ConfigurationException($"{source}: {key}.{field} {problem}");
        if (string.IsNullOrWhiteSpace(name)) Fail("name", "must not be empty");
        // Checked before the key (which holds the name) is ever printed: a newline in it would split the message.
        if (Names.Problem(name) is { } problem) throw new ConfigurationException($"{source}: a {level.ToString().ToLowerInvariant()} budget name {problem}");
        if (o.LimitUsd < 0) Fail("limitUsd", "must not be negative");
        // Counters hold nano-USD in a long (at most about 9.2e9 USD) and add spend, reservations and rollover to it.
        if (o.LimitUsd > MaxUsd) Fail("limitUsd", $"must be at most {MaxUsd} USD");
        var zone = o.TimeZone is null ? defaultZone : Zone(o.TimeZone, key + ".timeZone", source);
        var period = BudgetPeriod.TryParse(o.Period, zone);
        if (period is null) Fail("period", $"must be daily, weekly, monthly or rolling:N (1-366), not \"{o.Period}\"");
        var mode = ParseMode(o.Mode);
        if (mode is null) Fail("mode", $"must be hard or soft, not \"{o.Mode}\"");
        var action = ParseSoftAction(o.SoftAction);
        if (action is null) Fail("softAction", $"must be warn, degrade or require-justification, not \"{o.SoftAction}\"");
        if (o.Rollover && !period!.Resets) Fail("rollover", "applies to calendar periods only (a rolling window never resets)");
        if (o.RolloverCeilingUsd < 0) Fail("rolloverCeilingUsd", "must not be negative");
        if (o.RolloverCeilingUsd > MaxUsd) Fail("rolloverCeilingUsd", $"must be at most {MaxUsd} USD");
        return new BudgetPolicy(BudgetPolicy.IdFor(level, name), level, name, o.LimitUsd, period!, mode!.Value, action!.Value,
            o.Rollover ? new Rollover(true, o.RolloverCeilingUsd) : Rollover.Off);
    }

    public static BudgetMode? ParseMode(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "hard" => BudgetMode.Hard,
        "soft" => BudgetMode.Soft,
        _ => null,
    };

    public static SoftAction? ParseSoftAction(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "warn" => SoftAction.Warn,
        "degrade" => SoftAction.Degrade,
        "require-justification" => SoftAction.RequireJustification,
        _ => null,
    };

    public static string Format(SoftAction action) => action switch
    {
        SoftAction.Degrade => "degrade",
        SoftAction.RequireJustification => "require-justification",
        _ => "warn",
    };

    public static TimeZoneInfo Zone(string id, string key, string source)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ConfigurationException($"{source}: {key} names time zone \"{id}\", which this system does not know");
        }
    }

    /// <summary>Team caps are carved from the pool: with the same period, their sum may not exceed it.</summary>
    private static void CheckTeamsFitPool(IEnumerable<BudgetPolicy> policies, string source)
    {
        var all = policies.ToList();
        if (all.FirstOrDefault(p => p.Level == BudgetLevel.Organisation) is not { } pool) return;
        var teams = all.Where(p => p.Level == BudgetLevel.Team && p.SamePeriodAs(pool)).ToList();
        var sum = teams.Sum(t => t.Limit);
        if (sum > pool.Limit)
            throw new ConfigurationException($"{source}: budgets.teams caps add up to {sum} USD per {pool.Period}, more than the organisation pool's {pool.Limit} USD");
    }
}
