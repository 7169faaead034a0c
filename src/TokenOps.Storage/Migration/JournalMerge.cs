using TokenOps.Storage.Journal;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Migration;

/// <summary>
/// Brings the SQLite ledger up to date with the installation's journal before anything is copied: rows a stopped or
/// crashed gateway left in <c>DATA/journal</c> are merged exactly as a gateway start would (<see cref="LedgerWriter"/>
/// replays them, idempotently, then deletes the segments). A gateway still running on the directory is refused instead:
/// it keeps writing, so the copy could never match, and its live segment must not be replayed and deleted under it.
/// A running gateway is recognised by the lock .NET takes on every open file (flock, shared for the gateway's
/// memory-mapped segment): an exclusive try-lock on a segment fails while any process holds it open.
/// </summary>
public static class JournalMerge
{
    public static string JournalDirectory(string dataDirectory) => Path.Combine(dataDirectory, "journal");

    /// <summary>Merges the leftover journal into the SQLite ledger; returns how many rows it replayed.</summary>
    public static async Task<int> RunAsync(string dataDirectory, SqliteDatabase database)
    {
        var directory = JournalDirectory(dataDirectory);
        if (!Directory.Exists(directory)) return 0;
        var segments = Directory.GetFiles(directory, "*.jsonl").Order(StringComparer.Ordinal).ToList();
        if (segments.Count == 0) return 0;
        foreach (var segment in segments) EnsureNotOpenElsewhere(segment);
        using var store = new SqliteLedgerStore(database);
        var writer = new LedgerWriter(store, new LedgerJournal(directory));
        var replayed = writer.Replayed;
        await writer.DisposeAsync();
        return replayed;
    }

    private static void EnsureNotOpenElsewhere(string segment)
    {
        try
        {
            using var exclusive = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.None);
        }
        catch (FileNotFoundException)
        {
            // Deleted since the listing: a gateway committed it just now, which the next segment's lock will show.
        }
        catch (IOException)
        {
            throw new MigrationRefusedException(
                $"a gateway is running on this data directory (its journal segment {Path.GetFileName(segment)} is open): stop it, then run the migration again");
        }
    }
}

/// <summary>The migration cannot start or cannot finish, for a reason the operator can act on (one line).</summary>
public sealed class MigrationRefusedException(string message) : Exception(message);
