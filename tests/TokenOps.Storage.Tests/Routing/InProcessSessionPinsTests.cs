using TokenOps.Core.Routing;

namespace TokenOps.Storage.Tests.Routing;

public sealed class InProcessSessionPinsTests : SessionPinsSpec
{
    private readonly InProcessSessionPins _pins = new(TimeSpan.FromMinutes(1), 1000);

    protected override ISessionPins Pins => _pins;

    [Fact]
    public async Task A_pin_expires_a_minute_after_its_last_use_on_the_callers_clock()
    {
        await _pins.PinAtLeastAsync("auto", "s", new SessionPin("strong", 1), At);
        Assert.Equal(1, (await _pins.PinAtLeastAsync("auto", "s", new SessionPin("cheap", 0), At.AddSeconds(59))).Rank);
        Assert.Equal(1, (await _pins.PinAtLeastAsync("auto", "s", new SessionPin("cheap", 0), At.AddSeconds(118))).Rank); // renewed at 59 s
        Assert.Equal(0, (await _pins.PinAtLeastAsync("auto", "s", new SessionPin("cheap", 0), At.AddSeconds(179))).Rank);
    }

    [Fact]
    public async Task It_stays_within_its_bound()
    {
        var pins = new InProcessSessionPins(TimeSpan.FromMinutes(1), 100);
        for (var i = 0; i < 1000; i++) await pins.PinAtLeastAsync("auto", "s" + i, new SessionPin("m", 0), At.AddMilliseconds(i));
        Assert.InRange(pins.Count, 1, 100);
        // The most recent session survived the evictions.
        Assert.Equal(1, (await pins.PinAtLeastAsync("auto", "s999", new SessionPin("x", 1), At.AddSeconds(2))).Rank);
    }
}
