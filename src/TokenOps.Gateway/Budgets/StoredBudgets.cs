using TokenOps.Core.Identity;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Budgets;

/// <summary>Validates a budget given on the CLI or the admin API the same way as tokenops.json, and turns it into its stored form.</summary>
public static class StoredBudgets
{
    public static StoredBudget From(string? level, string? name, BudgetOptions o, string defaultTimeZone)
    {
        var parsed = level?.Trim().ToLowerInvariant() switch
        {
            "org" or "organisation" or "organization" => BudgetLevel.Organisation,
            "team" => BudgetLevel.Team,
            "person" => BudgetLevel.Person,
            "project" => BudgetLevel.Project,
            _ => throw new ConfigurationException($"budget level must be org, team, person or project, not \"{level}\""),
        };
        if (parsed == BudgetLevel.Organisation) name = BudgetPolicy.OrganisationName;
        if (string.IsNullOrWhiteSpace(name)) throw new ConfigurationException("a team, person or project budget needs a name");
        if (Names.Problem(name) is { } problem) throw new ConfigurationException($"the budget name {problem}");
        var zone = BudgetPolicyBuilder.Zone(defaultTimeZone, "budgets.timeZone", "budget");
        var p = BudgetPolicyBuilder.FromOptions(parsed, name.Trim(), o, zone, BudgetPolicy.IdFor(parsed, name.Trim()), "budget");
        return new StoredBudget(p.Id, p.Level, p.Name, NanoUsd.FromUsd(p.Limit), p.Period.ToString(), p.Period.TimeZone.Id, p.Mode, p.SoftAction,
            p.Rollover.Enabled, NanoUsd.FromUsd(p.Rollover.Ceiling), DateTimeOffset.UnixEpoch);
    }
}
