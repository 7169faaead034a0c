using System.Data.Common;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Keys;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The key store conformance suite on a real SQLite file.</summary>
public sealed class SqliteKeyStoreTests(SqliteStoreFixture fixture) : KeyStoreConformanceTests, IClassFixture<SqliteStoreFixture>
{
    protected override IKeyStore CreateStore(TimeProvider time) => new SqliteKeyStore(fixture.Database, time);

    protected override DbConnection OpenConnection() => fixture.Database.Open();
}
