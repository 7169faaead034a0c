using System.Text.Json;
using TokenOps.Core.Budgets;
using TokenOps.Core.Poker;
using Xunit;

namespace TokenOps.Core.Tests.Poker;

public sealed class PokerGameTests
{
    private static readonly DateTimeOffset Week1 = new(2026, 11, 9, 0, 0, 0, TimeSpan.Zero);  // a Monday
    private static readonly DateTimeOffset Week2 = Week1.AddDays(7);
    private static readonly DateTimeOffset Week3 = Week1.AddDays(14);

    /// <summary>Week 1: dee and bob score 10 per dollar (dee spent less), ada 5, cy nothing. Week 2: ada wins alone.</summary>
    private static IReadOnlyList<PokerActivity> Activity(DateTimeOffset from, DateTimeOffset until)
    {
        IReadOnlyList<PokerActivity> players =
        [
            new("ada", "core", from == Week2 ? 0.1m : 2m, 10, 10),
            new("bob", "payments", 1m, 10, 10),
            new("cy_", "payments", 0m, 0, 0),
            new("dee", "core", 0.5m, 5, 5),
        ];
        return from == Week1 ? players
            : from == Week2 ? [players[0], new("bob", "payments", 1m, 2, 0)]
            : [];
    }

    private static PokerGame Game(IPokerScoringPolicy? policy = null, bool anonymised = false, int winners = 2) =>
        new(new PokerRules(25m, 5m, winners, anonymised, TimeZoneInfo.Utc), policy ?? new SuccessfulRequestsPerDollarPolicy(), Activity);

    [Fact]
    public void Leaderboard_RanksByScore_ThenSpend_ThenName()
    {
        var board = Game().Leaderboard(Week1.AddDays(3));
        Assert.Equal(Week1, board.WeekStart);
        Assert.Equal(Week2, board.WeekEnd);
        Assert.Equal(["dee", "bob", "ada", "cy_"], board.Rows.Select(r => r.Player));
        Assert.Equal([1, 2, 3, 4], board.Rows.Select(r => r.Rank));
        Assert.Equal([10m, 10m, 5m, 0m], board.Rows.Select(r => r.Score));
        Assert.Equal(["dee", "bob"], board.Rows.Where(r => r.Winner).Select(r => r.Player));
        Assert.Equal("10 successful requests / $1.00", board.Rows[1].Formula);
        Assert.Equal(SuccessfulRequestsPerDollarPolicy.PolicyName, board.Scoring);
        Assert.Contains("not the value", board.Explanation);
    }

    [Fact]
    public void Anonymised_ShowsNoNameOrTeam_ButMarksTheViewer()
    {
        var board = Game(anonymised: true).Leaderboard(Week1, viewer: "bob");
        var text = JsonSerializer.Serialize(board);
        foreach (var secret in new[] { "ada", "bob", "cy_", "dee", "team_", "\"core", "\"payments" })
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["Player 1", "Player 2", "Player 3", "Player 4"], board.Rows.Select(r => r.Player));
        Assert.All(board.Rows, r => Assert.Null(r.Team));
        Assert.Equal(2, board.Rows.Single(r => r.You).Rank);
        // Spend stays visible: visibility without blame.
        Assert.Equal(1m, board.Rows[1].Spent);
    }

    [Fact]
    public void WinnerBonus_AppliesToExactlyTheNextWeek()
    {
        var game = Game();
        Assert.Equal(5m, game.Bonus("bob", Week2));
        Assert.Equal(5m, game.Bonus("dee", Week2.AddDays(2)));
        Assert.Equal(0m, game.Bonus("ada", Week2));
        Assert.Equal(0m, game.Bonus("bob", Week1));
        Assert.Equal(0m, game.Bonus("bob", Week3)); // bob did not win week 2
        Assert.Equal(5m, game.Bonus("ada", Week3)); // ada won week 2
        var week2 = game.Leaderboard(Week2);
        Assert.Equal(30m, week2.Rows.Single(r => r.Player == "bob").Hand);
        Assert.Equal(25m, week2.Rows.Single(r => r.Player == "ada").Hand);
        Assert.Equal(["ada"], game.Winners(Week2));
    }

    [Fact]
    public void BonusAllowance_IsForPeopleOnly()
    {
        var allowance = new PokerBonusAllowance(Game(), new FixedTime(Week3));
        Assert.Equal(5m, allowance.ExtraFor(BudgetLevel.Person, "bob", Week2));
        Assert.Equal(5m, allowance.ExtraFor(BudgetLevel.Person, "bob", Week2)); // cached, same answer
        Assert.Equal(0m, allowance.ExtraFor(BudgetLevel.Team, "bob", Week2));
        Assert.Equal(0m, allowance.ExtraFor(BudgetLevel.Person, "bob", Week3));
        Assert.Equal(0m, allowance.ExtraFor(BudgetLevel.Person, "bob", Week2.AddDays(1))); // not a weekly hand's period
    }

    [Fact]
    public void ScoringPolicy_IsSwappableByName()
    {
        var thrift = PokerScoringPolicies.Resolve("hand-left");
        Assert.IsType<HandLeftPolicy>(thrift);
        var board = Game(thrift).Leaderboard(Week1);
        // Share of a $25 hand left: cy made no successful request, so scores 0 and ranks last.
        Assert.Equal(["dee", "bob", "ada", "cy_"], board.Rows.Select(r => r.Player));
        Assert.Equal(Math.Round(24.5m / 25m, 4), board.Rows[0].Score);
        Assert.Equal("hand-left", board.Scoring);

        var custom = PokerScoringPolicies.Resolve("cost-per-outcome", [new ReverseAlphabetPolicy()]);
        Assert.Equal(["dee", "cy_", "bob", "ada"], Game(custom).Leaderboard(Week1).Rows.Select(r => r.Player));
        var unknown = Assert.Throws<ArgumentException>(() => PokerScoringPolicies.Resolve("vibes"));
        Assert.Contains("successful-requests-per-dollar", unknown.Message);
    }

    [Fact]
    public void Week_StartsOnMonday_InTheConfiguredTimeZone()
    {
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var game = new PokerGame(PokerRules.Default with { TimeZone = newYork }, new SuccessfulRequestsPerDollarPolicy(), Activity);
        // Monday 23 Nov 03:00 UTC is still Sunday evening in New York: the week began Monday 16 Nov, 00:00 -05:00.
        var start = game.WeekStart(new DateTimeOffset(2026, 11, 23, 3, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 11, 16, 0, 0, 0, TimeSpan.FromHours(-5)), start);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.FromHours(-5)), game.WeekEnd(start));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.FromHours(-5)), game.WeekStart(new DateOnly(2026, 11, 29)));
    }

    [Fact]
    public void FinishedWeeks_AreRankedOnce_TheCurrentWeekAlwaysFresh()
    {
        var calls = new Dictionary<DateTimeOffset, int>();
        IReadOnlyList<PokerActivity> Counting(DateTimeOffset from, DateTimeOffset until)
        {
            calls[from] = calls.GetValueOrDefault(from) + 1;
            return Activity(from, until);
        }
        var game = new PokerGame(new PokerRules(25m, 5m, 2, false, TimeZoneInfo.Utc), new SuccessfulRequestsPerDollarPolicy(), Counting, new FixedTime(Week2.AddDays(2)));
        game.Leaderboard(Week2);
        game.Leaderboard(Week2);
        game.Leaderboard(Week1);
        Assert.Equal(2, calls[Week2]);  // the current week is read every time
        Assert.Equal(1, calls[Week1]);  // week 1 ended two days ago: read once
        Assert.Equal(30m, game.Leaderboard(Week2).Rows.Single(r => r.Player == "bob").Hand);
    }

    /// <summary>A stand-in for the outcomes feature's policy: ranks by name, descending.</summary>
    private sealed class ReverseAlphabetPolicy : IPokerScoringPolicy
    {
        public string Name => "cost-per-outcome";
        public string Explanation => "test";
        public PokerScore Score(PokerPlayerWeek week) => new(week.Person[0], "name");
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
