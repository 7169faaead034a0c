using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.ResponseCache;
using TokenOps.Storage;

namespace TokenOps.Gateway.Tests.ResponseCache;

/// <summary>
/// Following the published semantic index: entries are learned once each; a sequence skipped over (another replica's
/// transaction not yet committed) is read when it shows up, and forgotten after the gap patience; reads start after
/// what was learned, not from the beginning or with a fixed overlap.
/// </summary>
public sealed class SemanticIndexSyncTests
{
    private sealed class PublishedEntries : ISemanticIndexStore
    {
        public readonly List<SemanticIndexRecord> Visible = [];
        public readonly List<long> ReadsAfter = [];

        public void Show(long sequence) => Visible.Add(new SemanticIndexRecord("openai.chat|team:a|m", 1, 2, new float[128], "k" + sequence,
            DateTimeOffset.MaxValue) { Sequence = sequence });

        public void Add(SemanticIndexRecord record) => throw new NotSupportedException();

        public IReadOnlyList<SemanticIndexRecord> ReadAfter(long afterSequence, DateTimeOffset now, int limit)
        {
            ReadsAfter.Add(afterSequence);
            return Visible.Where(r => r.Sequence > afterSequence).OrderBy(r => r.Sequence).Take(limit).ToList();
        }

        public int PurgeExpired(DateTimeOffset now) => 0;
    }

    [Fact]
    public void Each_entry_is_learned_once_and_a_late_sequence_is_read_when_it_shows_up()
    {
        var store = new PublishedEntries();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 8, 0, 0, TimeSpan.Zero));
        var options = new ResponseCacheOptions { Semantic = new SemanticCacheOptions { Enabled = true } };
        var policy = new ResponseCachePolicy(options);
        var cache = new SemanticResponseCache(null!, store, policy, NullLogger<SemanticResponseCache>.Instance);
        var sync = new SemanticIndexSync(store, cache, policy, clock, NullLogger<SemanticIndexSync>.Instance);

        store.Show(1);
        store.Show(3); // 2 is still in another replica's open transaction
        Assert.Equal(2, sync.CatchUp());
        Assert.Equal(0, sync.CatchUp());
        Assert.Equal(1, store.ReadsAfter[^1]); // from the gap, not from 0

        store.Show(2);
        Assert.Equal(1, sync.CatchUp());
        Assert.Equal(0, sync.CatchUp());
        Assert.Equal(3, store.ReadsAfter[^1]); // the gap filled: after the highest learned

        store.Show(5); // 4 never appears (an upsert used it up)
        Assert.Equal(1, sync.CatchUp());
        Assert.Equal(3, store.ReadsAfter[^1]);
        clock.Advance(SemanticIndexSync.GapPatience + TimeSpan.FromSeconds(1));
        Assert.Equal(0, sync.CatchUp());
        Assert.Equal(5, store.ReadsAfter[^1]); // the gap was given up on
    }
}
