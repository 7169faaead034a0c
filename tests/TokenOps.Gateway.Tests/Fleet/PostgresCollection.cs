using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>Gateway tests that need PostgreSQL share one throwaway server (each asks for its own database).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "Gateway on PostgreSQL";
}
