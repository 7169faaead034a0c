using TokenOps.Core.Buffers;
using Xunit;

namespace TokenOps.Core.Tests.Buffers;

public sealed class ReadAheadTests
{
    [Fact]
    public void Every_item_arrives_in_order_across_batches()
    {
        var items = Enumerable.Range(0, 10_007).ToList();
        Assert.Equal(items, ReadAhead.Of(items, batchSize: 100, batchesAhead: 2).ToList());
        Assert.Empty(ReadAhead.Of(Array.Empty<int>()));
    }

    [Fact]
    public void The_sources_exception_reaches_the_consumer_after_the_items_before_it()
    {
        static IEnumerable<int> Failing()
        {
            for (var i = 0; i < 5; i++) yield return i;
            throw new InvalidOperationException("disk gone");
        }
        var seen = new List<int>();
        var ex = Assert.Throws<InvalidOperationException>(() => { foreach (var i in ReadAhead.Of(Failing(), batchSize: 2)) seen.Add(i); });
        Assert.Equal("disk gone", ex.Message);
        Assert.Equal([0, 1, 2, 3], seen); // whole batches only: the fifth item's batch never completed
    }

    [Fact]
    public void A_consumer_that_stops_early_stops_the_reader()
    {
        var produced = 0;
        IEnumerable<int> Endless()
        {
            while (true) { Interlocked.Increment(ref produced); yield return produced; }
        }
        Assert.Equal(10, ReadAhead.Of(Endless(), batchSize: 10, batchesAhead: 2).Take(10).Count());
        var after = Volatile.Read(ref produced);
        Thread.Sleep(100);
        Assert.Equal(after, Volatile.Read(ref produced));
        Assert.True(after <= 10 * 4, $"read {after} items ahead");
    }
}
