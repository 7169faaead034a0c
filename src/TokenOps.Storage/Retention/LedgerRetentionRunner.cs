using System.Globalization;
using System.IO.Compression;
using TokenOps.Core.Exports;
using TokenOps.Core.Ledger;

namespace TokenOps.Storage.Retention;

/// <summary>
/// Export, then purge: every ledger row older than the retention period is first written to a gzipped CSV in the
/// export directory (the same columns as `tokenops export csv`), the file is flushed and renamed into place, its row
/// count is checked against the rows due, and only then are the exported rows deleted, by id (rollups stay; a row an
/// import adds meanwhile waits for the next run). A failed export deletes nothing.
/// </summary>
public sealed class LedgerRetentionRunner(ILedgerStore ledger, ILedgerRetention retention, TimeProvider time)
{
    /// <summary>Rows per delete: short transactions (requests keep settling) and well under any backend's parameter limit.</summary>
    public const int PurgeBatch = 500;

    public RetentionResult Run(int ledgerDays, string exportDirectory, bool dryRun = false)
    {
        var now = time.GetUtcNow();
        var cutoff = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-ledgerDays);
        using var held = retention.TryLock();
        if (held is null) return new RetentionResult(cutoff, 0, 0, null, "another gateway is running the retention now");
        var due = retention.CountBefore(cutoff);
        if (due == 0 || dryRun) return new RetentionResult(cutoff, due, 0, null, dryRun ? "dry run" : null);

        Directory.CreateDirectory(exportDirectory);
        var name = string.Create(CultureInfo.InvariantCulture, $"ledger-before-{cutoff:yyyy-MM-dd}-{now:yyyyMMddTHHmmss}.csv.gz");
        var path = Path.Combine(exportDirectory, name);
        var temporary = path + ".partial";
        long exported = 0;
        var ids = new List<string>();
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
        {
            using (var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
            using (var text = new StreamWriter(gzip))
            {
                var csv = new CsvWriter(text);
                csv.WriteRow(LedgerCsv.Columns);
                foreach (var row in ledger.Stream(null, cutoff))
                {
                    if (row.StartedAt >= cutoff) continue;
                    csv.WriteRow(LedgerCsv.Row(row));
                    ids.Add(row.Id);
                    exported++;
                }
            }
            file.Flush(flushToDisk: true);
        }
        if (exported != due)
        {
            File.Delete(temporary);
            return new RetentionResult(cutoff, due, 0, null, $"exported {exported} rows but {due} are due: nothing purged; run again");
        }
        File.Move(temporary, path);

        long purged = 0;
        foreach (var chunk in ids.Chunk(PurgeBatch)) purged += retention.Purge(chunk);
        return new RetentionResult(cutoff, due, purged, path, null);
    }
}

/// <summary>What a retention run did: rows due before the cutoff, rows purged, the export file, or why it did nothing.</summary>
public sealed record RetentionResult(DateTimeOffset Cutoff, long Due, long Purged, string? ExportFile, string? Note);
