using TokenOps.Storage;
using TokenOps.Storage.Journal;

namespace TokenOps.Gateway.Health;

/// <summary>
/// /healthz: 200 while the ledger records, 503 while it cannot (the gateway is then refusing to forward, so a load
/// balancer should send traffic elsewhere). The body names the problem. Two problems answer 200 with "degraded", as
/// warnings: a degraded journal (still recording into the current segment's remaining room), and a database that does
/// not answer (requests are still served and journalled; the writer retries, and <c>ledgerBacklog</c> counts the rows
/// waiting for it).
/// </summary>
public static class HealthEndpoint
{
    /// <summary>How long the database gets to answer a probe: a load balancer's check must not hang on a dead host.</summary>
    public static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(2);

    public static void MapHealth(this IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", (LedgerJournal journal, LedgerWriter writer, IStorageProbe database, CancellationToken cancellationToken) =>
            CheckAsync(journal, writer, database, cancellationToken));

    private static async Task<IResult> CheckAsync(LedgerJournal journal, LedgerWriter writer, IStorageProbe database, CancellationToken cancellationToken)
    {
        // Probe, not Health: retries a failed segment creation, so recovery shows here even with no traffic.
        var health = journal.Probe();
        var reachable = await database.ReachableAsync(DatabaseTimeout, cancellationToken);
        var databaseState = reachable ? "ok" : $"unreachable ({database.Backend}): ledger rows wait in the journal";
        if (health.State == JournalState.Healthy && reachable) return Results.Json(new { status = "healthy", journal = "ok", database = databaseState });
        var body = new
        {
            status = health.State == JournalState.Unavailable ? "unhealthy" : "degraded",
            journal = health.State == JournalState.Healthy ? "ok" : health.Problem,
            since = health.Since,
            database = databaseState,
            ledgerBacklog = writer.Pending,
            eventsHeldInMemory = writer.HeldInMemory,
        };
        return Results.Json(body, statusCode: health.CanRecord ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
