using TokenOps.Core.Ledger;
using TokenOps.Core.Outcomes;

namespace TokenOps.Storage.Tests.Outcomes;

/// <summary>
/// What every <see cref="ISpendReader"/> must do: the ledger columns outcome linking needs, in time order (then id),
/// since inclusive and until exclusive. Each backend supplies the reader and the ledger it reads (rows are written
/// through <see cref="ILedgerStore"/>). Tests of a class share its database; each reads only its own 40-day window.
/// </summary>
public abstract class SpendReaderConformanceTests
{
    protected abstract ISpendReader Reader { get; }

    protected abstract ILedgerStore Ledger { get; }

    private static int _scopes;

    protected sealed class Scope(int index)
    {
        public string Name { get; } = $"r{index:D3}{Guid.NewGuid().ToString("N")[..6]}";
        public DateTimeOffset Start { get; } = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(40 * index);
        public DateTimeOffset End => Start.AddDays(40);
        public string Id(string n) => $"evt_{Name}_{n}";
    }

    protected static Scope NewScope() => new(Interlocked.Increment(ref _scopes));

    protected static LedgerEntry Row(Scope s, string n, TimeSpan at, long costNanos = 1_234_567_891) => new()
    {
        Id = s.Id(n), StartedAt = s.Start + at, EndedAt = s.Start + at + TimeSpan.FromSeconds(3), Route = "openai.chat",
        KeyId = "key_1", Person = "ada-" + n, Team = "core", Project = "atlas", Feature = "search", Ticket = "ENG-" + n,
        PullRequest = "acme/shop#" + n, Tags = "env=prod,ticket=ENG-" + n, Provider = "openai", RequestedModel = "m", ServedModel = "m",
        CostNanos = costNanos, Outcome = LedgerOutcome.Ok, Status = 200,
    };

    [Fact]
    public virtual void Read_returns_the_linking_columns_of_each_row_exactly()
    {
        var s = NewScope();
        var full = Row(s, "full", TimeSpan.FromHours(1)) with
        {
            // 100 ns precision, given with an offset: read back as the same instant in UTC.
            StartedAt = new DateTimeOffset(s.Start.UtcDateTime.AddHours(1).AddTicks(1_234_567).Ticks, TimeSpan.Zero).ToOffset(TimeSpan.FromHours(9)),
            Person = "Zoë Ünïcode", Team = "team 'q' \"d\"", Tags = "a=1,b=2;--",
        };
        var bare = new LedgerEntry { Id = s.Id("bare"), StartedAt = s.Start + TimeSpan.FromHours(2), EndedAt = s.Start, Route = "r", Outcome = LedgerOutcome.Ok };
        Assert.Equal(2, Ledger.Write([full, bare]));

        var rows = Reader.Read(s.Start, s.End).ToList();
        Assert.Equal([SpendRow.From(full) with { StartedAt = full.StartedAt.ToUniversalTime() }, SpendRow.From(bare)], rows);
        Assert.Equal(full.StartedAt.UtcTicks, rows[0].StartedAt.UtcTicks);
        Assert.Equal(TimeSpan.Zero, rows[0].StartedAt.Offset);
        Assert.Equal(1_234_567_891, rows[0].CostNanos);
        Assert.Equal((null, null, null, null, null, null, null), (rows[1].Person, rows[1].Team, rows[1].Project, rows[1].Feature, rows[1].Ticket, rows[1].PullRequest, rows[1].Tags));
    }

    [Fact]
    public virtual void Read_takes_since_inclusive_and_until_exclusive_in_time_then_id_order()
    {
        var s = NewScope();
        var tick = TimeSpan.FromTicks(1);
        var hour = TimeSpan.FromHours(1);
        // Written out of order, in separate batches; three rows share a start time (then byte order of ids: "B" < "_" < "a").
        Ledger.Write([Row(s, "late", 2 * hour), Row(s, "a", hour)]);
        Ledger.Write([Row(s, "tick", hour + tick), Row(s, "B", hour)]);
        Ledger.Write([Row(s, "_", hour), Row(s, "first", TimeSpan.Zero)]);

        string[] Ids(DateTimeOffset since, DateTimeOffset until) => Reader.Read(since, until).Select(r => r.Id).ToArray();
        Assert.Equal(new[] { "first", "B", "_", "a", "tick", "late" }.Select(s.Id), Ids(s.Start, s.End));
        Assert.Equal(new[] { "B", "_", "a", "tick" }.Select(s.Id), Ids(s.Start + hour, s.Start + 2 * hour));
        Assert.Equal([s.Id("tick")], Ids(s.Start + hour + tick, s.Start + 2 * hour));
        Assert.Equal(new[] { "B", "_", "a" }.Select(s.Id), Ids(s.Start + hour, s.Start + hour + tick));
        Assert.Empty(Ids(s.Start + hour, s.Start + hour));
        Assert.Empty(Ids(s.Start + 2 * hour, s.Start + hour));
        var plusTwo = (s.Start + hour).ToOffset(TimeSpan.FromHours(2));
        Assert.Equal(new[] { "B", "_", "a", "tick" }.Select(s.Id), Ids(plusTwo, s.Start + 2 * hour));
        // Times come back in order too (the stream is what linking walks).
        var times = Reader.Read(s.Start, s.End).Select(r => r.StartedAt).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public virtual void Read_streams_many_rows_and_an_abandoned_enumeration_releases_its_connection()
    {
        var s = NewScope();
        var rows = Enumerable.Range(0, 3000).Select(n => Row(s, n.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromSeconds(n), costNanos: n)).ToList();
        foreach (var batch in rows.Chunk(500)) Ledger.Write(batch);
        var read = Reader.Read(s.Start, s.End);
        // Enumerated twice: each enumeration is its own query.
        Assert.Equal(rows.Select(r => r.Id), read.Select(r => r.Id));
        Assert.Equal(rows.Sum(r => r.CostNanos), read.Sum(r => r.CostNanos));
        // Taking a few rows and stopping, many more times than any connection pool holds, must not exhaust it.
        for (var i = 0; i < 60; i++) Assert.Equal(s.Id("00000"), Reader.Read(s.Start, s.End).First().Id);
        Assert.Equal(rows.Count, Reader.Read(s.Start, s.End).Count());
    }
}
