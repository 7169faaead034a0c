using Microsoft.Extensions.Time.Testing;

namespace TokenOps.Storage.Tests.RateLimits;

/// <summary>
/// What every <see cref="IRateLimitStore"/> must do, written once: limits set (null bounds kept as null), replaced,
/// deleted and listed in ordinal scope order, the version moving once per change and not on a delete of nothing.
/// Tests of a class share the database, so each uses its own scopes and checks the version as a difference.
/// </summary>
public abstract class RateLimitStoreConformanceTests
{
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(1234567));

    protected abstract IRateLimitStore CreateStore(TimeProvider time);

    private IRateLimitStore? _store;
    protected IRateLimitStore Store => _store ??= CreateStore(Clock);

    private static string Unique() => Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public virtual void Set_stores_every_bound_and_bumps_the_version_once()
    {
        var scope = "team:" + Unique();
        var before = Store.Version();

        Store.Set(new StoredRateLimit(scope, 60, 100_000, 4, DateTimeOffset.UnixEpoch));

        Assert.Equal(before + 1, Store.Version());
        Assert.Equal(new StoredRateLimit(scope, 60, 100_000, 4, Clock.GetUtcNow()), Assert.Single(Store.List(), l => l.Scope == scope));
    }

    [Fact]
    public virtual void Absent_bounds_read_back_as_null_and_large_ones_exactly()
    {
        var scope = "person:" + Unique();

        Store.Set(new StoredRateLimit(scope, null, 9_000_000_000_000L, null, DateTimeOffset.UnixEpoch));

        var stored = Assert.Single(Store.List(), l => l.Scope == scope);
        Assert.Null(stored.RequestsPerMinute);
        Assert.Equal(9_000_000_000_000L, stored.TokensPerMinute);
        Assert.Null(stored.Concurrent);
    }

    [Fact]
    public virtual void Set_of_an_existing_scope_replaces_it_whole()
    {
        var scope = "key:" + Unique();
        Store.Set(new StoredRateLimit(scope, 60, 100, 4, DateTimeOffset.UnixEpoch));
        Clock.Advance(TimeSpan.FromMinutes(2));
        var before = Store.Version();

        Store.Set(new StoredRateLimit(scope, null, null, 1, DateTimeOffset.UnixEpoch));

        Assert.Equal(before + 1, Store.Version());
        Assert.Equal(new StoredRateLimit(scope, null, null, 1, Clock.GetUtcNow()), Assert.Single(Store.List(), l => l.Scope == scope));
    }

    [Fact]
    public virtual void Delete_removes_and_bumps_only_when_there_was_something()
    {
        var scope = "team:" + Unique();
        Store.Set(new StoredRateLimit(scope, 1, null, null, DateTimeOffset.UnixEpoch));
        var before = Store.Version();

        Assert.True(Store.Delete(scope));
        Assert.Equal(before + 1, Store.Version());
        Assert.DoesNotContain(Store.List(), l => l.Scope == scope);

        Assert.False(Store.Delete(scope));
        Assert.Equal(before + 1, Store.Version());
    }

    [Fact]
    public virtual void List_is_in_ordinal_scope_order_with_names_of_any_script()
    {
        var u = Unique();
        string[] scopes = [$"team:{u}-b", $"team:{u}-B", $"team:{u}-é", $"team:{u}-山田", $"person:{u}", "default:person"];
        foreach (var s in scopes) Store.Set(new StoredRateLimit(s, 5, null, null, DateTimeOffset.UnixEpoch));

        var listed = Store.List().Select(l => l.Scope).Where(s => scopes.Contains(s)).ToList();

        Assert.Equal(scopes.Order(StringComparer.Ordinal), listed);
        Assert.Equal(Store.List().Select(l => l.Scope).Order(StringComparer.Ordinal), Store.List().Select(l => l.Scope));
    }
}
