using TokenOps.Core.Ledger;

namespace TokenOps.Core.Waste;

/// <summary>Runs detectors over the period's rows in one pass (each row read once, shown to every detector) and ranks the findings by dollars.</summary>
public static class WasteScanner
{
    /// <remarks>The rows are read a few thousand ahead on another thread (<see cref="Buffers.ReadAhead"/>): on a month of
    /// a large organisation, reading the ledger and running the detectors then overlap instead of taking turns.</remarks>
    public static IReadOnlyList<WasteFinding> Run(IEnumerable<LedgerEntry> rows, WasteContext context, IEnumerable<IWasteDetector>? detectors = null)
    {
        var scans = (detectors ?? WasteDetectors.All).Select(d => d.Begin(context)).ToArray();
        foreach (var row in Buffers.ReadAhead.Of(rows))
        {
            if (row.StartedAt < context.From || row.StartedAt >= context.Until) continue;
            foreach (var scan in scans) scan.Observe(row);
        }
        return scans.SelectMany(s => s.Complete()).OrderByDescending(f => f.WastedUsd).ThenBy(f => f.Detector, StringComparer.Ordinal)
            .ThenBy(f => f.Person, StringComparer.Ordinal).ToList();
    }

    /// <summary>Input tokens of every kind (uncached, cache reads, cache writes): what the request sent.</summary>
    internal static long Input(LedgerEntry row) => row.Usage.TotalInput;

    /// <summary>What the input side of the row cost.</summary>
    internal static decimal InputCost(LedgerEntry row) =>
        row.Cost.UncachedInput + row.Cost.CacheRead + row.Cost.CacheWrite5m + row.Cost.CacheWrite1h;

    internal static string Usd(decimal usd) => "$" + Math.Round(usd, 4).ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    internal static bool IsTruncated(string? finishReason) => finishReason is "length" or "max_tokens" or "max_output_tokens";
}
