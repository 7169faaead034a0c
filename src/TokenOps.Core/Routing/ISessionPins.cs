namespace TokenOps.Core.Routing;

/// <summary>The model a conversation is pinned to under one router, and its rank among the router's candidates (0 = cheapest).</summary>
public sealed record SessionPin(string Model, int Rank);

/// <summary>
/// Which model each conversation was given, per router, so that later turns stay on it (provider prompt caches are per
/// model). One atomic operation: <see cref="PinAtLeastAsync"/> keeps the stronger of the stored pin and the one offered,
/// so a conversation may escalate but never steps down, however its turns race or whichever replica serves them.
/// A pin lives <c>ttl</c> after its last use. The in-process implementation serves one gateway; Redis serves a fleet.
/// </summary>
public interface ISessionPins
{
    /// <summary>
    /// Pins <paramref name="session"/> to the offered model unless it is pinned to a stronger one (a higher rank); returns
    /// the pin in force afterwards, its lifetime renewed either way.
    /// </summary>
    ValueTask<SessionPin> PinAtLeastAsync(string router, string session, SessionPin offered, DateTimeOffset now, CancellationToken cancellationToken = default);
}
