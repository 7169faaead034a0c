using TokenOps.Core.Alerts;

namespace TokenOps.Storage;

/// <summary>
/// Alerts and their webhook outbox. An alert is stored once per dedupe key, together with one outbox row per webhook
/// in the same transaction; delivery state survives restarts.
/// </summary>
public interface IAlertStore
{
    /// <summary>Records the alert and queues it for each webhook, unless an alert with its dedupe key exists. Returns true when new.</summary>
    bool TryAdd(Alert alert, IEnumerable<string> webhooks);

    /// <summary>Undelivered outbox rows due at <paramref name="now"/>, oldest first, with their alerts.</summary>
    IReadOnlyList<(Alert Alert, AlertDelivery Delivery)> Due(DateTimeOffset now, int max = 100);

    /// <summary>
    /// Takes up to <paramref name="max"/> due rows for this caller to deliver: in one atomic step, each row's next attempt
    /// moves to <paramref name="now"/> + <paramref name="lease"/>, so no other replica sees it as due meanwhile. The caller
    /// marks each delivered or failed; a caller that dies leaves rows that fall due again when the lease runs out. Rows are
    /// returned as they were before the claim.
    /// </summary>
    IReadOnlyList<(Alert Alert, AlertDelivery Delivery)> Claim(DateTimeOffset now, TimeSpan lease, int max = 100);

    /// <summary>Gives a claimed row back unattempted, due again at <paramref name="dueAt"/> (its attempts unchanged).</summary>
    void Release(string alertId, string webhook, DateTimeOffset dueAt);

    void MarkDelivered(string alertId, string webhook, DateTimeOffset at);

    void MarkFailed(string alertId, string webhook, DateTimeOffset nextAttemptAt, string error);

    /// <summary>Alerts created at or after <paramref name="since"/> (all when null), newest first, with their deliveries.</summary>
    IReadOnlyList<StoredAlert> List(DateTimeOffset? since = null, int max = 1000);
}

/// <summary>One webhook's delivery state for one alert.</summary>
public sealed record AlertDelivery(string AlertId, string Webhook, int Attempts, DateTimeOffset NextAttemptAt, DateTimeOffset? DeliveredAt, string? LastError);

/// <summary>An alert with its delivery state per webhook.</summary>
public sealed record StoredAlert(Alert Alert, IReadOnlyList<AlertDelivery> Deliveries);
