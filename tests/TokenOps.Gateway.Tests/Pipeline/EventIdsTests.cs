using TokenOps.Gateway.Pipeline;

namespace TokenOps.Gateway.Tests.Pipeline;

public sealed class EventIdsTests
{
    [Fact]
    public void AnId_IsAVersion7UuidOfItsTime_InTheLedgersFormat()
    {
        var at = new DateTimeOffset(2026, 11, 23, 2, 50, 1, 234, TimeSpan.Zero);
        var id = EventIds.New(at);
        Assert.Matches("^evt_[0-9a-f]{32}$", id);
        var guid = Guid.ParseExact(id[4..], "N");
        Assert.Equal(7, guid.Version);
        Assert.Equal(0b10, guid.Variant >> 2); // RFC 9562 variant 10xx
        Assert.Equal(at.ToUnixTimeMilliseconds(), Convert.ToInt64(id[4..16], 16));
        // Same shape as the framework's own version-7 ids (which earlier ledger rows carry).
        Assert.Equal(Guid.CreateVersion7(at).ToString("N")[..12], id[4..16]);
    }

    [Fact]
    public void Ids_AreUnique_AndOrderedByTimeAcrossMilliseconds()
    {
        var start = DateTimeOffset.UnixEpoch.AddYears(56);
        var ids = Enumerable.Range(0, 200_000).Select(i => EventIds.New(start.AddMilliseconds(i / 100))).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        for (var i = 100; i < ids.Count; i += 100)
            Assert.True(string.CompareOrdinal(ids[i - 1], ids[i]) < 0, "an id of a later millisecond sorts after");
    }
}
