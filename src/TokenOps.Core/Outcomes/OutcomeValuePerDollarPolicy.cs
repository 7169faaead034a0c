using System.Globalization;
using TokenOps.Core.Poker;

namespace TokenOps.Core.Outcomes;

/// <summary>The value of a person's outcomes completed in a time range (stated values, else hours saved × rate).</summary>
public interface IOutcomeValueLookup
{
    OutcomeWeekValue ValueFor(string person, DateTimeOffset from, DateTimeOffset until);
}

public readonly record struct OutcomeWeekValue(decimal ValueUsd, int Outcomes);

/// <summary>
/// Token-poker scoring by outcome value per dollar: the value of the player's outcomes completed in the week
/// (see <see cref="OutcomeValuation"/>) divided by what the player spent that week. No spend scores 0 (nothing to rank).
/// </summary>
public sealed class OutcomeValuePerDollarPolicy(IOutcomeValueLookup values) : IPokerScoringPolicy
{
    public const string PolicyName = "outcome-value-per-dollar";

    public string Name => PolicyName;

    public string Explanation =>
        "Dollars of outcome value (merged PRs, resolved tickets, shipped features: stated values or hours saved × rate) per dollar of AI spend in the week; it measures results, not tokens, and does not see work that has not completed yet.";

    public PokerScore Score(PokerPlayerWeek week)
    {
        var v = values.ValueFor(week.Person, week.WeekStart, week.WeekEnd);
        if (week.Spent <= 0)
            return new PokerScore(0, string.Create(CultureInfo.InvariantCulture,
                $"score = outcome value / spent; {week.Person} spent nothing this week (value {v.ValueUsd:0.00} USD over {v.Outcomes} outcomes): score 0"));
        var score = decimal.Round(v.ValueUsd / week.Spent, 4, MidpointRounding.AwayFromZero);
        return new PokerScore(score, string.Create(CultureInfo.InvariantCulture,
            $"score = outcome value / spent = {v.ValueUsd:0.00} USD ({v.Outcomes} outcomes completed this week) / {week.Spent:0.00####} USD = {score:0.####}"));
    }
}
