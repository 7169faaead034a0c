namespace TokenOps.Cli.Demo;

/// <summary>
/// The demo's time-compressed clock: the real clock shifted by an offset the driver moves forward, so weeks of
/// simulated work are stamped on the ledger within seconds. Set back to zero offset, it is the real clock.
/// Only wall-clock time is shifted; timestamps used for latency stay real.
/// </summary>
internal sealed class DemoClock : TimeProvider
{
    private TimeSpan _offset;
    private bool _jumped;

    public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + _offset;

    /// <summary>Makes the clock read <paramref name="simulated"/> now; never moves it backwards.</summary>
    public void JumpTo(DateTimeOffset simulated)
    {
        var offset = simulated - TimeProvider.System.GetUtcNow();
        if (_jumped && offset <= _offset) return;
        _offset = offset;
        _jumped = true;
    }

    public void BackToRealTime() => _offset = TimeSpan.Zero;
}
