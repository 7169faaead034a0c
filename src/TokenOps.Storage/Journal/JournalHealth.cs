namespace TokenOps.Storage.Journal;

public enum JournalState
{
    /// <summary>Events are journalled; segments rotate as they should.</summary>
    Healthy,
    /// <summary>Events are still journalled, into the current segment's remaining room, but a new segment could not be
    /// created; creation is retried with backoff.</summary>
    Degraded,
    /// <summary>No room to journal: events go only to the writer's queue (memory), so the gateway stops forwarding
    /// new requests until a segment can be created again.</summary>
    Unavailable,
}

/// <summary>The journal's state as /healthz and the admission check see it; replaced whole on every change.</summary>
public sealed record JournalHealth(JournalState State, string? Problem, DateTimeOffset? Since)
{
    public static readonly JournalHealth Healthy = new(JournalState.Healthy, null, null);
    public bool CanRecord => State != JournalState.Unavailable;
}
