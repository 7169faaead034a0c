using System.Collections.Concurrent;
using TokenOps.Core.Budgets;

namespace TokenOps.Core.Poker;

/// <summary>What one person did in one week, from the ledger (requests = LLM requests; successful = 2xx).</summary>
public sealed record PokerActivity(string Person, string? Team, decimal Spent, long Requests, long SuccessfulRequests);

/// <summary>The game's settings (from tokenops.json poker).</summary>
public sealed record PokerRules(decimal WeeklyHand, decimal WinnerBonus, int Winners, bool Anonymised, TimeZoneInfo TimeZone)
{
    public static PokerRules Default { get; } = new(25m, 5m, 3, false, TimeZoneInfo.Utc);
}

/// <summary>One leaderboard line. Anonymised: <see cref="Player"/> is "Player N" (N = rank) and <see cref="Team"/> is null.</summary>
public sealed record PokerRow(int Rank, string Player, string? Team, decimal Hand, decimal Spent, long Requests, long SuccessfulRequests,
    decimal Score, string Formula, bool Winner, bool You);

public sealed record PokerLeaderboard(DateTimeOffset WeekStart, DateTimeOffset WeekEnd, string Scoring, string Explanation,
    bool Anonymised, IReadOnlyList<PokerRow> Rows);

/// <summary>
/// Token poker: every person gets a weekly hand (no rollover; enforcement belongs to the budgets engine), everyone sees
/// everyone's spend (or an anonymised view), a swappable policy ranks value per dollar, and the week's winners get a
/// bonus on the next week's hand only. Order: score descending, then spend ascending, then name (ordinal), so ties
/// always break the same way. A winner needs a positive score and at least one successful request.
/// </summary>
public sealed class PokerGame(PokerRules rules, IPokerScoringPolicy policy, Func<DateTimeOffset, DateTimeOffset, IReadOnlyList<PokerActivity>> activity, TimeProvider? time = null)
{
    /// <summary>With a clock, weeks that ended more than this long ago are ranked once and remembered (late ledger rows settle within seconds).</summary>
    public static readonly TimeSpan SettledAfter = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<DateTimeOffset, IReadOnlyList<Ranked>> _settled = new();

    /// <summary>How many weeks back a bonus chain is followed (a hand depends on last week's winners, whose hands depend on the week before…).</summary>
    public const int MaxBonusChain = 8;

    public PokerRules Rules => rules;
    public IPokerScoringPolicy Policy => policy;

    /// <summary>Monday 00:00 in the game's time zone of the week holding <paramref name="instant"/>.</summary>
    public DateTimeOffset WeekStart(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, rules.TimeZone);
        var daysSinceMonday = ((int)local.DayOfWeek + 6) % 7;
        var monday = local.Date.AddDays(-daysSinceMonday);
        return new DateTimeOffset(monday, rules.TimeZone.GetUtcOffset(monday));
    }

    /// <summary>The week starting on the Monday on or before <paramref name="day"/>, in the game's time zone.</summary>
    public DateTimeOffset WeekStart(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        return WeekStart(new DateTimeOffset(local, rules.TimeZone.GetUtcOffset(local)).AddHours(12));
    }

    public DateTimeOffset WeekEnd(DateTimeOffset weekStart)
    {
        var next = weekStart.DateTime.AddDays(7);
        return new DateTimeOffset(next, rules.TimeZone.GetUtcOffset(next));
    }

    public PokerLeaderboard Leaderboard(DateTimeOffset weekStart, string? viewer = null, bool? anonymised = null)
    {
        var start = WeekStart(weekStart);
        var ranked = Rank(start, 0, new Dictionary<DateTimeOffset, IReadOnlyList<Ranked>>());
        var anon = anonymised ?? rules.Anonymised;
        var rows = ranked.Select(r => new PokerRow(r.Rank, anon ? $"Player {r.Rank}" : r.Week.Person, anon ? null : r.Week.Team,
            r.Week.Hand, r.Week.Spent, r.Week.Requests, r.Week.SuccessfulRequests, r.Score.Value, r.Score.Formula, r.Winner,
            viewer is not null && string.Equals(viewer, r.Week.Person, StringComparison.Ordinal))).ToList();
        return new PokerLeaderboard(start, WeekEnd(start), policy.Name, policy.Explanation, anon, rows);
    }

    /// <summary>The week's winners, best first.</summary>
    public IReadOnlyList<string> Winners(DateTimeOffset weekStart) =>
        Rank(WeekStart(weekStart), 0, new Dictionary<DateTimeOffset, IReadOnlyList<Ranked>>()).Where(r => r.Winner).Select(r => r.Week.Person).ToList();

    /// <summary>Extra on <paramref name="person"/>'s hand for the week starting <paramref name="weekStart"/>: the bonus if they won the week before, else 0.</summary>
    public decimal Bonus(string person, DateTimeOffset weekStart) =>
        BonusAt(person, WeekStart(weekStart), 0, new Dictionary<DateTimeOffset, IReadOnlyList<Ranked>>());

    private decimal BonusAt(string person, DateTimeOffset start, int depth, Dictionary<DateTimeOffset, IReadOnlyList<Ranked>> memo)
    {
        if (rules.WinnerBonus <= 0m || depth >= MaxBonusChain) return 0m;
        var previous = WeekStart(start.AddDays(-3.5));
        return Rank(previous, depth + 1, memo).Any(r => r.Winner && string.Equals(r.Week.Person, person, StringComparison.Ordinal)) ? rules.WinnerBonus : 0m;
    }

    private sealed record Ranked(int Rank, PokerPlayerWeek Week, PokerScore Score, bool Winner);

    private IReadOnlyList<Ranked> Rank(DateTimeOffset start, int depth, Dictionary<DateTimeOffset, IReadOnlyList<Ranked>> memo)
    {
        if (memo.TryGetValue(start, out var known) || _settled.TryGetValue(start, out known)) return known;
        var end = WeekEnd(start);
        var weeks = activity(start, end)
            .GroupBy(a => a.Person, StringComparer.Ordinal)
            .Select(g => new PokerPlayerWeek(g.Key, g.Select(a => a.Team).FirstOrDefault(t => t is not null), start, end,
                rules.WeeklyHand + BonusAt(g.Key, start, depth, memo), g.Sum(a => a.Spent), g.Sum(a => a.Requests), g.Sum(a => a.SuccessfulRequests)))
            .Select(w => (Week: w, Score: policy.Score(w)))
            .OrderByDescending(x => x.Score.Value).ThenBy(x => x.Week.Spent).ThenBy(x => x.Week.Person, StringComparer.Ordinal)
            .ToList();
        var winners = 0;
        var ranked = new List<Ranked>(weeks.Count);
        for (var i = 0; i < weeks.Count; i++)
        {
            var (week, score) = weeks[i];
            var wins = winners < rules.Winners && score.Value > 0m && week.SuccessfulRequests > 0;
            if (wins) winners++;
            ranked.Add(new Ranked(i + 1, week, score, wins));
        }
        memo[start] = ranked;
        if (time is not null && end + SettledAfter <= time.GetUtcNow())
        {
            if (_settled.Count > 520) _settled.Clear();
            _settled[start] = ranked;
        }
        return ranked;
    }
}

/// <summary>
/// The poker winner's bonus as a budget allowance: a person's weekly budget opening at <c>periodStart</c> gets
/// <see cref="PokerRules.WinnerBonus"/> extra when they won the week before. Other levels, and person budgets whose period
/// does not open on a poker week's start (Monday 00:00 in the game's time zone), get nothing. Results for a week are
/// cached once that week has started (its previous week is over).
/// </summary>
public sealed class PokerBonusAllowance(PokerGame game, TimeProvider time) : IBudgetAllowance
{
    private readonly ConcurrentDictionary<(string, DateTimeOffset), decimal> _cache = new();

    public decimal ExtraFor(BudgetLevel level, string name, DateTimeOffset periodStart)
    {
        if (level != BudgetLevel.Person) return 0m;
        // Only a period that opens exactly on a poker week's start is a weekly hand (the contract carries no budget kind).
        var start = game.WeekStart(periodStart);
        if (start != periodStart) return 0m;
        if (_cache.TryGetValue((name, start), out var cached)) return cached;
        var bonus = game.Bonus(name, start);
        if (start <= time.GetUtcNow())
        {
            if (_cache.Count > 10_000) _cache.Clear();
            _cache[(name, start)] = bonus;
        }
        return bonus;
    }
}
