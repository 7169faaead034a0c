using TokenOps.Storage.Journal;

namespace TokenOps.Gateway.Health;

/// <summary>
/// /healthz: 200 while the ledger records, 503 while it cannot (the gateway is then refusing to forward, so a load
/// balancer should send traffic elsewhere). The body names the problem; a degraded journal (still recording into the
/// current segment's remaining room) answers 200 with the problem, as a warning.
/// </summary>
public static class HealthEndpoint
{
    public static void MapHealth(this IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", (LedgerJournal journal, LedgerWriter writer) => Check(journal, writer));

    private static IResult Check(LedgerJournal journal, LedgerWriter writer)
    {
        // Probe, not Health: retries a failed segment creation, so recovery shows here even with no traffic.
        var health = journal.Probe();
        if (health.State == JournalState.Healthy) return Results.Json(new { status = "healthy", journal = "ok" });
        var body = new
        {
            status = health.State == JournalState.Degraded ? "degraded" : "unhealthy",
            journal = health.Problem,
            since = health.Since,
            eventsHeldInMemory = writer.HeldInMemory,
        };
        return Results.Json(body, statusCode: health.CanRecord ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
