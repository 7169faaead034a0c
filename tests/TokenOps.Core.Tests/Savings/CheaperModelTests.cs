using Xunit;
using TokenOps.Core.Ledger;
using TokenOps.Core.Savings;

namespace TokenOps.Core.Tests.Savings;

public class CheaperModelTests
{
    private static LedgerEntry Row(string requested, string served, SavingsBreakdown savings, string levers) => new()
    {
        Id = "evt_1", StartedAt = DateTimeOffset.UnixEpoch, EndedAt = DateTimeOffset.UnixEpoch, Route = "openai.chat",
        RequestedModel = requested, ServedModel = served, Status = 200, Outcome = LedgerOutcome.Ok, Source = "gateway",
        Savings = savings, Levers = levers,
    };

    [Fact]
    public void Routed_or_degraded_to_a_model_that_cost_less_is_moved()
    {
        Assert.True(CheaperModel.Moved(Row("auto", "gpt-4o-mini", new SavingsBreakdown { Routed = 0.001m }, "routed")));
        Assert.True(CheaperModel.Moved(Row("gpt-4o", "gpt-4o-mini", new SavingsBreakdown { Degraded = 0.001m }, "degraded")));
    }

    [Fact]
    public void The_strongest_candidate_a_wasted_attempt_and_other_levers_are_not_moved()
    {
        Assert.False(CheaperModel.Moved(Row("auto", "gpt-4o", SavingsBreakdown.Zero, "routed")));
        Assert.False(CheaperModel.Moved(Row("auto", "gpt-4o-mini", new SavingsBreakdown { Routed = -0.0002m }, "routed")));
        Assert.False(CheaperModel.Moved(Row("gpt-4o", "gpt-4o", new SavingsBreakdown { CacheBreakpoint = 0.01m }, "cache-breakpoint")));
    }
}
