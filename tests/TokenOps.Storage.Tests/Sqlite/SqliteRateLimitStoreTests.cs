using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.RateLimits;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The rate limit store conformance suite on a real SQLite file.</summary>
public sealed class SqliteRateLimitStoreTests(SqliteStoreFixture fixture) : RateLimitStoreConformanceTests, IClassFixture<SqliteStoreFixture>
{
    protected override IRateLimitStore CreateStore(TimeProvider time) => new SqliteRateLimitStore(fixture.Database, time);
}
