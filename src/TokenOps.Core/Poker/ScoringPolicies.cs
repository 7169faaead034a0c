using System.Globalization;

namespace TokenOps.Core.Poker;

/// <summary>
/// Default policy until outcomes exist: successful requests per dollar. It measures activity per dollar (requests that
/// returned 2xx), not value: a hundred trivial requests beat one that shipped a feature. Spend is floored at
/// <see cref="MinimumSpend"/> (a hundredth of a cent) so free models do not divide by zero.
/// </summary>
public sealed class SuccessfulRequestsPerDollarPolicy : IPokerScoringPolicy
{
    public const string PolicyName = "successful-requests-per-dollar";
    public const decimal MinimumSpend = 0.0001m;
    public string Name => PolicyName;
    public string Explanation =>
        "Successful (2xx) requests per dollar spent: it measures activity per dollar, not the value of what the requests achieved.";

    public PokerScore Score(PokerPlayerWeek week)
    {
        var dollars = Math.Max(MinimumSpend, week.Spent);
        return new PokerScore(Math.Round(week.SuccessfulRequests / dollars, 4),
            string.Create(CultureInfo.InvariantCulture, $"{week.SuccessfulRequests} successful requests / ${dollars:0.00##}"));
    }
}

/// <summary>Thrift: the share of the weekly hand left unspent, among players who made at least one successful request.</summary>
public sealed class HandLeftPolicy : IPokerScoringPolicy
{
    public const string PolicyName = "hand-left";
    public string Name => PolicyName;
    public string Explanation =>
        "Share of the weekly hand left unspent: it rewards thrift and ignores what the spend achieved.";

    public PokerScore Score(PokerPlayerWeek week)
    {
        if (week.Hand <= 0m || week.SuccessfulRequests == 0) return new PokerScore(0m, "no hand or no successful request");
        var left = Math.Max(0m, week.Hand - week.Spent);
        return new PokerScore(Math.Round(left / week.Hand, 4),
            string.Create(CultureInfo.InvariantCulture, $"(${week.Hand:0.00} hand − ${week.Spent:0.00} spent) / ${week.Hand:0.00}"));
    }
}

/// <summary>The built-in policies and any extra ones (for example the outcomes feature's cost-per-outcome), chosen by name.</summary>
public static class PokerScoringPolicies
{
    public static IReadOnlyList<IPokerScoringPolicy> BuiltIn { get; } = [new SuccessfulRequestsPerDollarPolicy(), new HandLeftPolicy()];

    /// <summary>The policy named <paramref name="name"/>; extra policies win over built-in ones of the same name.</summary>
    public static IPokerScoringPolicy Resolve(string name, IEnumerable<IPokerScoringPolicy>? extra = null)
    {
        var all = (extra ?? []).Concat(BuiltIn).ToList();
        return all.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal))
            ?? throw new ArgumentException($"unknown poker scoring policy \"{name}\" (known: {string.Join(", ", all.Select(p => p.Name).Distinct())})");
    }
}
