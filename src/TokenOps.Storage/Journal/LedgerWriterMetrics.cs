using System.Diagnostics.Metrics;

namespace TokenOps.Storage.Journal;

/// <summary>
/// What the ledger writer does, as metrics: rows per store write shows group commit at work (one transaction, one
/// round trip on PostgreSQL, per batch). The gateway's telemetry exports this meter beside its own.
/// </summary>
public static class LedgerWriterMetrics
{
    public const string MeterName = "TokenOps.Storage";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Histogram<long> BatchRows = Meter.CreateHistogram<long>("tokenops.ledger.batch.rows", "{row}",
        "Ledger rows per store write (one transaction)", advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1024] });
}
