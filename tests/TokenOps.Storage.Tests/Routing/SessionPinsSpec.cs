using TokenOps.Core.Routing;

namespace TokenOps.Storage.Tests.Routing;

/// <summary>What every <see cref="ISessionPins"/> must do, written once (in process and Redis). Each test uses its own sessions.</summary>
public abstract class SessionPinsSpec
{
    protected static readonly DateTimeOffset At = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Pins that live one minute after their last use.</summary>
    protected abstract ISessionPins Pins { get; }

    private static string Session() => "s-" + Guid.NewGuid().ToString("N");

    [Fact]
    public virtual async Task The_first_offer_is_pinned_and_a_weaker_one_later_gets_the_pin()
    {
        var s = Session();
        Assert.Equal(new SessionPin("strong", 1), await Pins.PinAtLeastAsync("auto", s, new SessionPin("strong", 1), At));
        Assert.Equal(new SessionPin("strong", 1), await Pins.PinAtLeastAsync("auto", s, new SessionPin("cheap", 0), At.AddSeconds(1)));
    }

    [Fact]
    public virtual async Task A_stronger_offer_escalates_the_pin_and_it_never_steps_down()
    {
        var s = Session();
        await Pins.PinAtLeastAsync("auto", s, new SessionPin("cheap", 0), At);
        Assert.Equal(new SessionPin("mid", 1), await Pins.PinAtLeastAsync("auto", s, new SessionPin("mid", 1), At));
        Assert.Equal(new SessionPin("top", 2), await Pins.PinAtLeastAsync("auto", s, new SessionPin("top", 2), At));
        Assert.Equal(new SessionPin("top", 2), await Pins.PinAtLeastAsync("auto", s, new SessionPin("cheap", 0), At));
    }

    [Fact]
    public virtual async Task Routers_and_sessions_are_kept_apart()
    {
        var s = Session();
        await Pins.PinAtLeastAsync("auto", s, new SessionPin("strong", 1), At);
        Assert.Equal(new SessionPin("cheap", 0), await Pins.PinAtLeastAsync("coding", s, new SessionPin("cheap", 0), At));
        Assert.Equal(new SessionPin("cheap", 0), await Pins.PinAtLeastAsync("auto", Session(), new SessionPin("cheap", 0), At));
    }

    [Fact]
    public virtual async Task Racing_turns_of_one_session_end_on_the_strongest()
    {
        var s = Session();
        var turns = Enumerable.Range(0, 200).Select(i => Task.Run(async () => await Pins.PinAtLeastAsync("auto", s, new SessionPin("m" + (i % 5), i % 5), At)));
        var seen = await Task.WhenAll(turns);
        Assert.Equal(new SessionPin("m4", 4), await Pins.PinAtLeastAsync("auto", s, new SessionPin("m0", 0), At));
        // No turn ever saw a pin weaker than its own offer.
        Assert.All(seen.Select((pin, i) => (pin, i)), x => Assert.True(x.pin.Rank >= x.i % 5));
    }
}
