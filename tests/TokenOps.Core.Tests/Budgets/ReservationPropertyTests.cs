using FsCheck;
using FsCheck.Xunit;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Core.Tests.Pricing;

namespace TokenOps.Core.Tests.Budgets;

/// <summary>Random max_tokens and budgets: reserving the worst case and settling the actual never overshoots a hard budget.</summary>
public sealed class ReservationPropertyTests
{
    private static readonly string[] Models = ["gpt-4o-mini", "gpt-4o", "claude-sonnet-4-5", "o3-mini"];

    [Property(MaxTest = 200)]
    public bool ConcurrentReservations_NeverTakeSpendPastAHardLimit(PositiveInt limitMicroUsd, NonNegativeInt model, PositiveInt[] maxTokens, PositiveInt seed)
    {
        var price = TestCatalog.Get(Models[model.Get % Models.Length]);
        var limit = limitMicroUsd.Get % 50_000 / 1_000_000m; // up to 5 cents
        var policy = new BudgetPolicy("person:p", Core.Budgets.BudgetLevel.Person, "p", limit, BudgetPeriod.Daily(), BudgetMode.Hard, SoftAction.Warn, Rollover.Off);
        var now = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        var book = new BudgetBook(new FakeSpendHistory());
        var counter = book.CounterFor(policy, now);
        var requests = maxTokens.Take(64).ToArray();
        Parallel.For(0, requests.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var random = new Random(seed.Get + i);
            var input = random.Next(1, 4000);
            var max = requests[i].Get % 8192 + 1;
            var result = book.TryReserve([counter], ReservationMath.WorstCaseNanos(price, input, max), now, TimeSpan.FromMinutes(1));
            if (result.Reservation is null) return;
            var output = random.Next(0, max + 1);
            var actual = NanoUsd.FromUsd(CostCalculator.Compute(price, new Core.Metering.TokenUsage { UncachedInput = input, Output = output }).Total);
            book.Settle(result.Reservation, actual);
        });
        var s = book.Snapshot(counter, now);
        return s.Spent <= limit && s.Reserved == 0 && book.OpenReservations == 0;
    }

    [Property(MaxTest = 300)]
    public bool MaxOutputThatFits_IsTheLargestThatFits(NonNegativeInt model, PositiveInt input, PositiveInt availableNanos, PositiveInt upper)
    {
        var price = TestCatalog.Get(Models[model.Get % Models.Length]);
        var bound = upper.Get % 100_000 + 1;
        var fit = ReservationMath.MaxOutputThatFits(price, input.Get % 10_000, availableNanos.Get, bound);
        var inputOnly = ReservationMath.WorstCaseNanos(price, input.Get % 10_000, 0);
        if (inputOnly > availableNanos.Get) return fit == 0;
        return ReservationMath.WorstCaseNanos(price, input.Get % 10_000, fit) <= availableNanos.Get
            && (fit == bound || ReservationMath.WorstCaseNanos(price, input.Get % 10_000, fit + 1) > availableNanos.Get);
    }

    [Property(MaxTest = 300)]
    public bool WorstCase_IsNeverBelowTheActualCost(NonNegativeInt model, PositiveInt input, PositiveInt max, NonNegativeInt produced)
    {
        var price = TestCatalog.Get(Models[model.Get % Models.Length]);
        var output = produced.Get % (max.Get % 20_000 + 1);
        var actual = NanoUsd.FromUsd(CostCalculator.Compute(price, new Core.Metering.TokenUsage { UncachedInput = input.Get % 100_000, Output = output, Reasoning = output / 2 }).Total);
        return ReservationMath.WorstCaseNanos(price, input.Get % 100_000, max.Get % 20_000 + 1) >= actual;
    }
}
