using TokenOps.Gateway.Protocols;
using TokenOps.Storage.Journal;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Fails closed when the ledger cannot record: a request the provider would bill but TokenOps could not journal is
/// exactly what the gateway exists to prevent, so it is refused (503, in the client's protocol) before anything is sent.
/// Requests already past this point still settle into the journal's headroom, or into memory.
/// </summary>
public sealed class LedgerAvailabilityStage(LedgerJournal journal)
{
    public const string Code = "ledger_unavailable";

    public void Run(ProxyContext context)
    {
        // One volatile read while healthy; the retry (Probe) only runs while the journal is unavailable.
        if (journal.Health.CanRecord || journal.Probe().CanRecord) return;
        throw new GatewayException(503, Code,
            "TokenOps cannot record usage right now (its journal has no disk space or cannot create a file), so the request was not sent to the provider. Retry shortly.")
        {
            RetryAfterSeconds = 1,
        };
    }
}
