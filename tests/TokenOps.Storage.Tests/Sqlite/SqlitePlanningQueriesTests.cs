using TokenOps.Core.Ledger;
using TokenOps.Core.Planning;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Planning;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The planning-reads conformance suite on a real SQLite file, plus SQLite's own read plans.</summary>
public sealed class SqlitePlanningQueriesTests(SqliteStoreFixture fixture) : PlanningQueriesConformanceTests, IClassFixture<SqliteStoreFixture>
{
    protected override ILedgerStore Store => fixture.Ledger;
    protected override IPlanningQueries Planning { get; } = new SqlitePlanningQueries(fixture.Database);

    private static string Canonical(IEnumerable<WhatIfCell> cells) =>
        string.Join('\n', cells.Select(c => c with { Example = "", ReasoningExample = null }).Select(c => c.ToString()).Order(StringComparer.Ordinal));

    /// <summary>The table read in parallel slices (here of 10 rowids) sums to the same cells as one reader.</summary>
    [Fact]
    public void WhatIf_ReadInSlices_SumsToTheSameCells()
    {
        Store.Write(Data);
        var query = WhatIfRepricer.Query(Target, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), null, null);
        var whole = Planning.WhatIfCells(query);
        var sliced = new SqlitePlanningQueries(fixture.Database, rowsPerSlice: 10).WhatIfCells(query);
        Assert.Equal(Canonical(whole), Canonical(sliced));
        Assert.Equal(Data.Count(r => r.Route is "openai.chat" or "anthropic.messages"), sliced.Sum(c => c.Requests));
        // Examples: the cell's first row in table order either way.
        Assert.Equal(whole.Select(c => c.Example).Order(StringComparer.Ordinal), sliced.Select(c => c.Example).Order(StringComparer.Ordinal));
    }

    /// <summary>A narrow range (one day of the ledger's month) goes through the started_at index and still counts exactly its rows.</summary>
    [Fact]
    public void WhatIf_OverANarrowRange_ReadsOnlyIt()
    {
        Store.Write(Data);
        var day = new DateTimeOffset(2026, 6, 3, 0, 0, 0, TimeSpan.Zero);
        var query = WhatIfRepricer.Query(Target, day, day.AddDays(1), null, null);
        var cells = Planning.WhatIfCells(query);
        var expected = Data.Where(r => r.StartedAt >= day && r.StartedAt < day.AddDays(1) && r.Route is "openai.chat" or "anthropic.messages").ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, cells.Sum(c => c.Requests));
        Assert.Equal(expected.Sum(r => r.CostNanos), cells.Sum(c => c.CostNanos));
    }
}
