using Microsoft.Data.Sqlite;
using Npgsql;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Journal;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Migration;

/// <summary>
/// `tokenops migrate --to-postgres`: copies an embedded installation (its SQLite file, after replaying any rows its
/// journal still holds) into PostgreSQL, table by table, then verifies. Idempotent and resumable (each chunk is its own
/// transaction and inserts with ON CONFLICT DO NOTHING, so a rerun only adds what is missing). Every table SQLite holds is
/// copied, rollups included: they were kept in the ledger's own transactions, so copied whole they agree with the copied
/// ledger, and the verification checks that they do.
/// Run it with the gateway stopped: a gateway still writing would add rows after their table was copied (a rerun
/// picks them up).
/// </summary>
public sealed class SqliteToPostgres(string dataDirectory, string connectionString)
{
    public int ChunkRows { get; init; } = 2000;

    /// <summary>Called after each committed chunk (table, rows added so far): progress, and the tests' interruption point.</summary>
    public Action<string, long>? AfterChunk { get; init; }

    public async Task<MigrationReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var database = new SqliteDatabase(dataDirectory);
        var replayed = await ReplayJournalAsync(database);
        using var target = new PostgresDatabase(connectionString);
        using var source = database.Open();
        await using var pg = target.Open();
        var copies = new List<TableResult>();
        foreach (var table in TablesOf(source, pg))
        {
            var added = table.Run(source, pg, ChunkRows, AfterChunk, cancellationToken);
            copies.Add(new TableResult(table.Table, Count(source, table.Table), Count(pg, table.Table), added));
        }
        var verification = MigrationVerifier.Verify(source, pg, copies);
        return new MigrationReport(replayed, copies, verification);
    }

    /// <summary>Rows a stopped gateway left in its journal go into SQLite first, so that they are copied too.</summary>
    private async Task<int> ReplayJournalAsync(SqliteDatabase database)
    {
        var journal = Path.Combine(dataDirectory, "journal");
        if (!Directory.Exists(journal) || Directory.GetFiles(journal).Length == 0) return 0;
        using var store = new SqliteLedgerStore(database);
        await using var writer = new LedgerWriter(store, new LedgerJournal(journal));
        return writer.Replayed;
    }

    /// <summary>Every table of SQLite that PostgreSQL has too, with PostgreSQL's column types; schema bookkeeping excluded.</summary>
    private static List<TableCopy> TablesOf(SqliteConnection source, NpgsqlConnection pg)
    {
        var tables = new List<string>();
        using (var list = source.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name;";
            using var r = list.ExecuteReader();
            while (r.Read()) tables.Add(r.GetString(0));
        }
        // Parents before children (people reference teams, keys people, deliveries their alerts): the names sort that way
        // except for these, which go first.
        string[] first = ["teams", "people", "keys", "alerts", "outcomes"];
        tables = [.. first.Where(tables.Contains), .. tables.Where(t => !first.Contains(t))];
        var copies = new List<TableCopy>();
        foreach (var table in tables)
        {
            var sqliteColumns = new List<string>();
            var primaryKey = new SortedDictionary<long, string>();
            using (var info = source.CreateCommand())
            {
                info.CommandText = $"SELECT name, pk FROM pragma_table_info({SqliteQuote(table)});";
                using var r = info.ExecuteReader();
                while (r.Read())
                {
                    sqliteColumns.Add(r.GetString(0));
                    if (r.GetInt64(1) > 0) primaryKey[r.GetInt64(1)] = r.GetString(0);
                }
            }
            var pgTypes = new Dictionary<string, string>(StringComparer.Ordinal);
            using (var info = new NpgsqlCommand("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1;", pg))
            {
                info.Parameters.AddWithValue(table);
                using var r = info.ExecuteReader();
                while (r.Read()) pgTypes[r.GetString(0)] = r.GetString(1);
            }
            if (pgTypes.Count == 0) throw new MigrationException($"table {table} exists in SQLite but not in PostgreSQL: are both on this version of TokenOps?");
            var missing = sqliteColumns.Where(c => !pgTypes.ContainsKey(c)).ToList();
            if (missing.Count > 0) throw new MigrationException($"table {table}: PostgreSQL has no column {string.Join(", ", missing)}");
            copies.Add(new TableCopy(table, sqliteColumns.Select(c => (c, pgTypes[c])).ToList(),
                primaryKey.Count > 0 ? primaryKey.Values.ToList() : ["rowid"]));
        }
        return copies;
    }

    internal static long Count(SqliteConnection c, string table)
    {
        using var q = c.CreateCommand();
        q.CommandText = $"SELECT COUNT(*) FROM {TableCopy.Quote(table)};";
        return (long)q.ExecuteScalar()!;
    }

    internal static long Count(NpgsqlConnection c, string table)
    {
        using var q = new NpgsqlCommand($"SELECT COUNT(*) FROM {TableCopy.Quote(table)};", c);
        return (long)q.ExecuteScalar()!;
    }

    private static string SqliteQuote(string text) => "'" + text.Replace("'", "''") + "'";
}

/// <summary>One table: rows on each side after the copy, and how many this run added.</summary>
public sealed record TableResult(string Table, long SqliteRows, long PostgresRows, long Added);

public sealed record MigrationReport(int JournalRowsReplayed, IReadOnlyList<TableResult> Tables, Verification Verification);

public sealed class MigrationException(string message) : Exception(message);
