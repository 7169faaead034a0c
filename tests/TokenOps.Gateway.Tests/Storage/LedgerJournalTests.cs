using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Storage.Journal;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Storage;

public sealed class LedgerJournalTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-journal", Guid.NewGuid().ToString("N"));

    private static LedgerEntry Entry(string id, long output = 10) => new()
    {
        Id = id,
        StartedAt = new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero),
        EndedAt = new DateTimeOffset(2026, 11, 2, 9, 0, 1, TimeSpan.Zero),
        Route = "openai.chat",
        Person = "ada",
        Usage = new TokenUsage { UncachedInput = 100, CacheRead = 28, Output = output, Reasoning = 3, Tier = ServiceTier.Flex },
        Cost = new CostBreakdown { UncachedInput = 0.000123456789m, Output = 0.0000004m },
        Outcome = LedgerOutcome.Ok,
        Status = 200,
    };

    [Fact]
    public async Task EventsLeftInTheJournal_AreReplayedOnStart_Once()
    {
        var db = new SqliteDatabase(_dir);
        var journalDir = Path.Combine(_dir, "journal");
        // A process that journalled three events and died before its writer ran, with a torn last line.
        using (var journal = new LedgerJournal(journalDir))
        {
            journal.Append(Entry("evt_1"));
            journal.Append(Entry("evt_2"));
            journal.Append(Entry("evt_3"));
        }
        await File.AppendAllTextAsync(Directory.GetFiles(journalDir).Single(), "{\"Id\":\"evt_torn\",\"Sta");
        var store = new SqliteLedgerStore(db);
        store.Write([Entry("evt_1")]); // already committed before the crash: the replay must not duplicate it

        await using (var writer = new LedgerWriter(store, new LedgerJournal(journalDir)))
            Assert.Equal(3, writer.Replayed);

        var rows = store.Read();
        Assert.Equal(["evt_1", "evt_2", "evt_3"], rows.Select(r => r.Id));
        Assert.Empty(Directory.GetFiles(journalDir));
        var row = rows[1];
        Assert.Equal(Entry("evt_2").Usage, row.Usage);
        Assert.Equal(NanoUsd.FromUsd(0.000123456789m + 0.0000004m), row.CostNanos);
    }

    [Fact]
    public void ASegmentNeverClosed_AsAfterKill9_IsReadUpToItsLastLine_AndTheZerosAfterItAreIgnored()
    {
        var journalDir = Path.Combine(_dir, "journal");
        var crashed = new LedgerJournal(journalDir); // never disposed: its mapped segment stays at full size, zero-filled
        crashed.Append(Entry("evt_a"));
        crashed.Append(Entry("evt_b", output: 77));
        var file = Directory.GetFiles(journalDir).Single();
        Assert.True(new FileInfo(file).Length > 1 << 20, "an open segment is mapped at its full capacity");

        using var next = new LedgerJournal(journalDir);
        var replayed = next.ReadRecovered().ToList();
        Assert.Equal(["evt_a", "evt_b"], replayed.Select(e => e.Id));
        Assert.Equal(77, replayed[1].Usage.Output);
    }

    [Fact]
    public void SegmentsRotate_AndAClosedSegmentHoldsOnlyWholeLines()
    {
        var journalDir = Path.Combine(_dir, "journal");
        using (var journal = new LedgerJournal(journalDir))
            for (var i = 0; i < 4100; i++) journal.Append(Entry($"evt_{i:D5}")); // past one segment's 4,096 events
        var files = Directory.GetFiles(journalDir).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, files.Count); // nothing was committed, so both stay
        Assert.All(files, f => Assert.Equal((byte)'\n', File.ReadAllBytes(f)[^1]));
        using var next = new LedgerJournal(journalDir);
        Assert.Equal(4100, next.ReadRecovered().Count());
    }

    [Fact]
    public async Task StoreOutage_LosesNothing_RowsArriveWhenItRecovers()
    {
        var store = new FlakyStore(new SqliteLedgerStore(new SqliteDatabase(_dir)), failures: 3);
        await using (var writer = new LedgerWriter(store, new LedgerJournal(Path.Combine(_dir, "journal"))))
        {
            for (var i = 0; i < 50; i++) writer.Record(Entry($"evt_{i:D3}"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await writer.FlushAsync(timeout.Token);
        }
        Assert.Equal(3, store.Failed);
        Assert.Equal(50, store.Inner.Count());
    }

    [Fact]
    public void AFailedBatch_WritesNothing_AndTheNextBatchWritesRowsAndRollups()
    {
        var db = new SqliteDatabase(_dir);
        using var store = new SqliteLedgerStore(db);
        Assert.Equal(1, store.Write([Entry("before")])); // the writer's connection and statements are now prepared
        // A rollup table goes missing under the writer (another process's hands): the whole batch rolls back.
        void Sql(string sql)
        {
            using var c = db.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
        Sql("ALTER TABLE rollup_daily_model RENAME TO rollup_daily_model_away;");
        Assert.ThrowsAny<Microsoft.Data.Sqlite.SqliteException>(() => store.Write([Entry("good")]));
        Assert.Equal(1, store.Count());
        Sql("ALTER TABLE rollup_daily_model_away RENAME TO rollup_daily_model;");
        Assert.Equal(2, store.Write([Entry("good"), Entry("after")]));
        Assert.Equal(["after", "before", "good"], store.Read().Select(r => r.Id).Order(StringComparer.Ordinal));
        var day = new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(3, new RollupQueries(db).Total(new RollupFilter(day, day.AddDays(1))).Requests);
    }

    [Fact]
    public void WritesAreIdempotentOnTheEventId()
    {
        var store = new SqliteLedgerStore(new SqliteDatabase(_dir));
        Assert.Equal(2, store.Write([Entry("a"), Entry("b")]));
        Assert.Equal(1, store.Write([Entry("a", output: 999), Entry("c")]));
        Assert.Equal(3, store.Count());
        Assert.Equal(10, store.Read().Single(r => r.Id == "a").Usage.Output);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private sealed class FlakyStore(SqliteLedgerStore inner, int failures) : ILedgerStore
    {
        public SqliteLedgerStore Inner => inner;
        public int Failed { get; private set; }
        public int Write(IReadOnlyList<LedgerEntry> entries)
        {
            if (Failed < failures) { Failed++; throw new IOException("database is unavailable"); }
            return inner.Write(entries);
        }
        public int Merge(IReadOnlyList<LedgerEntry> entries) => inner.Merge(entries);
        public IReadOnlyList<LedgerEntry> Read(DateTimeOffset? since = null, DateTimeOffset? until = null) => inner.Read(since, until);
        public IEnumerable<LedgerEntry> Stream(DateTimeOffset? since = null, DateTimeOffset? until = null) => inner.Stream(since, until);
        public long Count() => inner.Count();
    }
}
