namespace TokenOps.Core.RateLimits;

/// <summary>
/// Fixed one-minute windows aligned to the Unix epoch (so every replica and a shared Redis agree on them without
/// talking): a window is its start in whole minutes since the epoch.
/// </summary>
public static class RateWindow
{
    public const long LengthMs = 60_000;

    public static long Of(DateTimeOffset now) => Math.DivRem(now.ToUnixTimeMilliseconds(), LengthMs, out var rem) - (rem < 0 ? 1 : 0);

    public static DateTimeOffset End(long window) => DateTimeOffset.FromUnixTimeMilliseconds((window + 1) * LengthMs);

    /// <summary>Whole seconds until the window <paramref name="now"/> is in ends, rounded up, at least 1 (Retry-After).</summary>
    public static int SecondsToEnd(DateTimeOffset now)
    {
        var ms = (End(Of(now)) - now).TotalMilliseconds;
        return Math.Max(1, (int)Math.Ceiling(ms / 1000));
    }
}
