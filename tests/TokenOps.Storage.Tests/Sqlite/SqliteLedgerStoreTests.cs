using System.Data.Common;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Ledger;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The ledger conformance suite on a real SQLite file in a temporary directory (one per test class).</summary>
public sealed class SqliteLedgerStoreTests(SqliteLedgerStoreTests.Fixture fixture)
    : LedgerStoreConformanceTests, IClassFixture<SqliteLedgerStoreTests.Fixture>
{
    protected override ILedgerStore Store => fixture.Store;

    protected override int Merge(IReadOnlyList<LedgerEntry> entries) => fixture.Store.Merge(entries);

    protected override DbConnection OpenConnection() => fixture.Database.Open();

    public sealed class Fixture : IDisposable
    {
        public string Directory { get; } = Path.Combine(Path.GetTempPath(), "tokenops-storage-tests", Guid.NewGuid().ToString("N"));
        public SqliteDatabase Database { get; }
        public SqliteLedgerStore Store { get; }

        public Fixture()
        {
            Database = new SqliteDatabase(Directory);
            Store = new SqliteLedgerStore(Database);
        }

        public void Dispose()
        {
            Store.Dispose();
            SqliteConnection.ClearAllPools();
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
        }
    }
}
