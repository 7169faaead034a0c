using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>Every gateway test that needs Redis joins this collection: one server, tests one after another (some stop it).</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "Redis";
}
