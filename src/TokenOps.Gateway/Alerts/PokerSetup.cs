using TokenOps.Core.Poker;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Alerts;

/// <summary>Builds the token-poker game from tokenops.json "poker" (used by the gateway and by the CLI).</summary>
public static class PokerSetup
{
    public static PokerRules Rules(PokerOptions options)
    {
        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ConfigurationException($"poker.timeZone: \"{options.TimeZone}\" is not a known time zone (IANA id, e.g. \"Europe/Paris\")");
        }
        if (options.Winners < 0) throw new ConfigurationException("poker.winners must be 0 or more");
        if (options.WeeklyHandUsd < 0m || options.WinnerBonusUsd < 0m) throw new ConfigurationException("poker.weeklyHandUsd and poker.winnerBonusUsd must be 0 or more");
        return new PokerRules(options.WeeklyHandUsd, options.WinnerBonusUsd, options.Winners, options.Anonymised, zone);
    }

    /// <summary>The policy named by poker.scoring among the built-in ones and <paramref name="extra"/> (for example cost per outcome).</summary>
    public static IPokerScoringPolicy Policy(PokerOptions options, IEnumerable<IPokerScoringPolicy>? extra = null)
    {
        try
        {
            return PokerScoringPolicies.Resolve(options.Scoring, extra);
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException($"poker.scoring: {ex.Message}");
        }
    }

    /// <summary>The game over the ledger; with <paramref name="time"/>, finished weeks are ranked once and remembered (the gateway).</summary>
    public static PokerGame Game(PokerOptions options, ISpendQueries spend, IEnumerable<IPokerScoringPolicy>? extra = null, TimeProvider? time = null) =>
        new(Rules(options), Policy(options, extra), spend.PokerWeek, time);
}
