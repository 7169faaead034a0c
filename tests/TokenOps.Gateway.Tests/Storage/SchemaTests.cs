using TokenOps.Core.Ledger;
using TokenOps.Storage.Journal;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Storage;

public sealed class SchemaTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-schema", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task ManyProcessesOpeningOneDataDirectoryAtOnce_ApplyEachStepOnce()
    {
        // The CLI and the gateway may open the same data directory together; an ALTER TABLE applied twice would throw.
        var opens = Enumerable.Range(0, 8).Select(_ => Task.Run(() => new SqliteDatabase(_dir)));
        var databases = await Task.WhenAll(opens);
        using var connection = databases[0].Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*), COUNT(DISTINCT id) FROM schema_migrations;";
        using var reader = count.ExecuteReader();
        Assert.True(reader.Read());
        Assert.True(reader.GetInt64(0) >= 2);
        Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
    }

    [Fact]
    public void TheFileIsInWalMode_ForEveryLaterConnection()
    {
        _ = new SqliteDatabase(_dir);
        using var later = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "tokenops.db")};Pooling=False");
        later.Open();
        using var mode = later.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", mode.ExecuteScalar() as string);
    }

    [Fact]
    public async Task SourceSessionAndBudgetFields_SurviveTheJournalAndTheStore()
    {
        var entry = new LedgerEntry
        {
            Id = "evt_src", StartedAt = DateTimeOffset.UnixEpoch, EndedAt = DateTimeOffset.UnixEpoch, Route = "anthropic.messages",
            Outcome = LedgerOutcome.Ok, Source = "claude-code", SessionId = "sess-1",
            BudgetAction = "degraded:claude-opus-4-1->claude-haiku-4-5", Justification = "prod incident #42",
        };
        var store = new SqliteLedgerStore(new SqliteDatabase(_dir));
        await using (var writer = new LedgerWriter(store, new LedgerJournal(Path.Combine(_dir, "journal"))))
        {
            writer.Record(entry);
            await writer.FlushAsync();
        }
        var row = Assert.Single(store.Read());
        Assert.Equal(("claude-code", "sess-1", entry.BudgetAction, entry.Justification), (row.Source, row.SessionId, row.BudgetAction, row.Justification));
        Assert.Equal("gateway", new LedgerEntry { Id = "x", StartedAt = default, EndedAt = default, Route = "r", Outcome = LedgerOutcome.Ok }.Source);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
