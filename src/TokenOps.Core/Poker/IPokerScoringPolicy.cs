namespace TokenOps.Core.Poker;

/// <summary>One player's week of token poker, the input every scoring policy sees.</summary>
public sealed record PokerPlayerWeek(
    string Person,
    string? Team,
    DateTimeOffset WeekStart,
    DateTimeOffset WeekEnd,
    decimal Hand,
    decimal Spent,
    long Requests,
    long SuccessfulRequests);

/// <summary>A player's score and the formula with its inputs, shown beside the leaderboard so the score is honest about what it measures.</summary>
public sealed record PokerScore(decimal Value, string Formula);

/// <summary>
/// Ranks token-poker players by value per dollar. Named and swappable: tokenops.json picks one by <see cref="Name"/>
/// (poker.scoring). The outcomes feature plugs in a policy that scores outcome value per dollar.
/// </summary>
public interface IPokerScoringPolicy
{
    string Name { get; }
    /// <summary>One sentence on what the score measures and what it does not.</summary>
    string Explanation { get; }
    PokerScore Score(PokerPlayerWeek week);
}
