using Microsoft.Data.Sqlite;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>A SQLite database in a temporary directory, one per test class (a class fixture), deleted at the end.</summary>
public sealed class SqliteStoreFixture : IDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "tokenops-storage-tests", Guid.NewGuid().ToString("N"));
    public SqliteDatabase Database { get; }
    public SqliteLedgerStore Ledger { get; }

    public SqliteStoreFixture()
    {
        Database = new SqliteDatabase(Directory);
        Ledger = new SqliteLedgerStore(Database);
    }

    public void Dispose()
    {
        Ledger.Dispose();
        SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
