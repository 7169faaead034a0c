using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>Every test class that needs PostgreSQL joins this collection: one server for all of them.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
