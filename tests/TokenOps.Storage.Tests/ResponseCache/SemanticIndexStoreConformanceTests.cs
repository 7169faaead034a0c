namespace TokenOps.Storage.Tests.ResponseCache;

/// <summary>
/// What every <see cref="ISemanticIndexStore"/> must do: give back exactly what was published (full 64-bit hashes, the
/// vector bit for bit), in sequence order after a cursor, live entries only; one row per (tenant, entry key); purge the
/// expired. Each test gets an empty store of its own.
/// </summary>
public abstract class SemanticIndexStoreConformanceTests
{
    protected abstract ISemanticIndexStore Store { get; }

    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 8, 0, 0, TimeSpan.Zero);

    private static SemanticIndexRecord Record(string tenant, string key, int seed, DateTimeOffset? expires = null) =>
        new(tenant, 0xF000_0000_0000_0001UL + (ulong)seed, ulong.MaxValue - (ulong)seed,
            Enumerable.Range(0, 128).Select(i => MathF.Sin(seed * 31 + i) * 0.1f).ToArray(), key, expires ?? T0.AddHours(1));

    [Fact]
    public virtual void Published_entries_come_back_unchanged_in_sequence_order_after_a_cursor()
    {
        var store = Store;
        var published = Enumerable.Range(1, 5).Select(i => Record(i % 2 == 0 ? "openai.chat|team:a|m" : "anthropic.messages|team:b|m", "k" + i, i)).ToList();
        foreach (var r in published) store.Add(r);

        var all = store.ReadAfter(0, T0, 100);
        Assert.Equal(published.Select(r => r.EntryKey), all.Select(r => r.EntryKey));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence), "sequences grow");
        for (var i = 0; i < published.Count; i++)
        {
            Assert.Equal((published[i].Tenant, published[i].ContextHash, published[i].GuardHash, published[i].ExpiresAt),
                (all[i].Tenant, all[i].ContextHash, all[i].GuardHash, all[i].ExpiresAt));
            Assert.Equal(published[i].Vector, all[i].Vector);
        }
        // After a cursor: only what follows it, at most the limit.
        var rest = store.ReadAfter(all[1].Sequence, T0, 2);
        Assert.Equal(["k3", "k4"], rest.Select(r => r.EntryKey));
        Assert.Empty(store.ReadAfter(all[^1].Sequence, T0, 100));
    }

    [Fact]
    public virtual void A_second_publication_of_an_entry_keeps_one_row_and_moves_its_expiry()
    {
        var store = Store;
        store.Add(Record("t", "k", 1, T0.AddMinutes(10)));
        store.Add(Record("t", "k", 1, T0.AddMinutes(50)));
        store.Add(Record("other", "k", 2)); // the same key in another tenant is another entry
        var all = store.ReadAfter(0, T0, 100);
        Assert.Equal(2, all.Count);
        Assert.Equal(T0.AddMinutes(50), all.Single(r => r.Tenant == "t").ExpiresAt);
        Assert.Single(store.ReadAfter(0, T0.AddMinutes(20), 100), r => r.Tenant == "t");
    }

    [Fact]
    public virtual void Expired_entries_are_never_read_and_are_purged()
    {
        var store = Store;
        store.Add(Record("t", "short", 1, T0.AddMinutes(5)));
        store.Add(Record("t", "long", 2, T0.AddHours(2)));
        Assert.Equal(["long"], store.ReadAfter(0, T0.AddMinutes(5), 100).Select(r => r.EntryKey));
        Assert.Equal(1, store.PurgeExpired(T0.AddMinutes(30)));
        Assert.Equal(0, store.PurgeExpired(T0.AddMinutes(30)));
        Assert.Equal(["long"], store.ReadAfter(0, T0, 100).Select(r => r.EntryKey));
    }
}
