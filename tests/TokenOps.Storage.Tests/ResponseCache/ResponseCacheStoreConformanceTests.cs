namespace TokenOps.Storage.Tests.ResponseCache;

/// <summary>
/// What every <see cref="IResponseCacheStore"/> must do: return live entries only, mark them used, replace an entry in
/// place, keep the whole cache within its size bound by evicting the least recently used, and evict on demand. Each test
/// gets an empty store of its own (the bound counts every entry).
/// </summary>
public abstract class ResponseCacheStoreConformanceTests
{
    protected abstract IResponseCacheStore Store { get; }

    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 8, 0, 0, TimeSpan.Zero);

    private static ResponseCacheEntry Entry(string key, int bytes = 1000, DateTimeOffset? at = null, string source = "evt_1", long cost = 1234) =>
        new(key, "{\"a\":\"" + new string('x', bytes - 8) + "\"}", source, cost, at ?? T0, (at ?? T0).AddHours(1));

    [Fact]
    public virtual void Put_then_Get_returns_the_entry_until_it_expires()
    {
        var e = Entry("k1", source: "evt_src", cost: 987_654_321);
        Store.Put(e, T0, 1 << 20);
        Assert.Equal(e, Store.Get("k1", T0.AddMinutes(59)));
        Assert.Null(Store.Get("k1", e.ExpiresAt));
        Assert.Null(Store.Get("other", T0));
    }

    [Fact]
    public virtual void Put_replaces_an_entry_and_counts_its_size_once()
    {
        Store.Put(Entry("k1", 2000), T0, 1 << 20);
        var replacement = Entry("k1", 1500, T0.AddMinutes(1), "evt_2", 5);
        Store.Put(replacement, T0.AddMinutes(1), 1 << 20);
        Assert.Equal(replacement, Store.Get("k1", T0.AddMinutes(2)));
        Assert.Equal(1500, Store.TotalBytes());
    }

    [Fact]
    public virtual void Past_the_bound_the_least_recently_used_entries_go_first()
    {
        Store.Put(Entry("a", 1000, T0), T0, 3000);
        Store.Put(Entry("b", 1000, T0.AddSeconds(1)), T0.AddSeconds(1), 3000);
        Store.Put(Entry("c", 1000, T0.AddSeconds(2)), T0.AddSeconds(2), 3000);
        Assert.NotNull(Store.Get("a", T0.AddSeconds(3))); // a is now the most recently used; b the least
        Store.Put(Entry("d", 1000, T0.AddSeconds(4)), T0.AddSeconds(4), 3000);
        Assert.Null(Store.Get("b", T0.AddSeconds(5)));
        Assert.NotNull(Store.Get("a", T0.AddSeconds(5)));
        Assert.NotNull(Store.Get("c", T0.AddSeconds(5)));
        Assert.NotNull(Store.Get("d", T0.AddSeconds(5)));
        Assert.True(Store.TotalBytes() <= 3000);
    }

    [Fact]
    public virtual void An_entry_larger_than_the_whole_bound_is_not_stored_and_evicts_nothing()
    {
        Store.Put(Entry("small", 1000), T0, 4000);
        Store.Put(Entry("huge", 5000), T0, 4000);
        Assert.Null(Store.Get("huge", T0));
        Assert.NotNull(Store.Get("small", T0));
    }

    [Fact]
    public virtual void Evict_removes_one_entry_and_its_bytes()
    {
        Store.Put(Entry("a", 1000), T0, 1 << 20);
        Store.Put(Entry("b", 1200), T0, 1 << 20);
        Assert.True(Store.Evict("a"));
        Assert.False(Store.Evict("a"));
        Assert.Null(Store.Get("a", T0));
        Assert.NotNull(Store.Get("b", T0));
        Assert.Equal(1200, Store.TotalBytes());
    }

    [Fact]
    public virtual void A_put_stamped_earlier_than_the_rest_still_evicts_them()
    {
        // Replicas' clocks differ: a put can carry an older time than every entry already there.
        foreach (var i in Enumerable.Range(0, 10).Reverse()) Store.Put(Entry("k" + i, 1000, T0.AddMilliseconds(i)), T0.AddMilliseconds(i), 4_000);
        Assert.True(Store.TotalBytes() <= 4_000, $"total {Store.TotalBytes()}");
        Assert.NotNull(Store.Get("k0", T0.AddSeconds(1)));
    }

    [Fact]
    public virtual async Task Concurrent_puts_keep_the_bound()
    {
        // The request path's PutAsync, as the gateway's concurrent requests call it.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => Store.PutAsync(Entry("k" + i, 1000, T0.AddMilliseconds(i)), T0.AddMilliseconds(i), 10_000))));
        Assert.True(Store.TotalBytes() <= 10_000, $"total {Store.TotalBytes()}");
        var live = Enumerable.Range(0, 40).Count(i => Store.Get("k" + i, T0.AddSeconds(1)) is not null);
        Assert.InRange(live, 1, 10);
    }
}
