using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Redis;

/// <summary>Every test class that needs Redis joins this collection: one server, tests run one after another (some stop it).</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "Redis";
}
