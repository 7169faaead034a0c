using Npgsql;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Migration;

/// <summary>Everything one run did and found.</summary>
public sealed record MigrationResult(
    int JournalRowsMerged, int SchemaSteps, IReadOnlyList<TableCopyResult> Tables,
    IReadOnlyList<string> SequencesAdvanced, IReadOnlyList<VerificationCheck> Checks)
{
    public bool Verified => Checks.All(c => c.Passed);
}

/// <summary>
/// `tokenops migrate --to-postgres` as one call (the CLI names no SQLite type): merge the journal into SQLite, open
/// PostgreSQL (its own migrations apply first), check the schemas agree, copy, advance sequences, verify.
/// Idempotent and resumable: every step can run again, and a second run copies nothing.
/// </summary>
public static class InstallationMigration
{
    /// <param name="connectionSource">Where the connection string came from (e.g. "TOKENOPS_PG"), for messages; the
    /// string itself never appears in one.</param>
    public static async Task<MigrationResult> RunAsync(string dataDirectory, string connectionString, string connectionSource,
        int chunkSize = 5000, Action<string, long>? afterChunk = null, CancellationToken cancel = default)
    {
        if (!File.Exists(Path.Combine(dataDirectory, "tokenops.db")))
            throw new MigrationRefusedException($"no SQLite installation in {Path.GetFullPath(dataDirectory)} (tokenops.db is missing)");
        var sqlite = new SqliteDatabase(dataDirectory);
        var merged = await JournalMerge.RunAsync(dataDirectory, sqlite);
        PostgresDatabase postgres;
        try
        {
            postgres = new PostgresDatabase(connectionString);
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or TimeoutException)
        {
            throw new MigrationRefusedException($"cannot connect to PostgreSQL ({connectionSource}): {PostgresErrorText.Reason(e, connectionString)}");
        }
        using (postgres)
        using (var source = sqlite.Open())
        {
            try
            {
                var copier = new SqliteToPostgresCopier(source, postgres.DataSource) { ChunkSize = chunkSize, AfterChunk = afterChunk };
                var steps = copier.CheckSchema();
                var tables = copier.CopyAll(cancel);
                var sequences = copier.AdvanceSequences();
                var checks = MigrationVerifier.Run(source, postgres.DataSource);
                return new MigrationResult(merged, steps, tables, sequences, checks);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                throw new MigrationRefusedException($"PostgreSQL failed during the migration ({connectionSource}): {PostgresErrorText.Reason(e, connectionString)}; what was committed stays, run the command again to finish");
            }
        }
    }
}

/// <summary>
/// An Npgsql failure as text safe to print: Npgsql's messages can name the host, port, user or database (a refused
/// connection, a failed password), so every value of the connection string is masked in what is shown.
/// </summary>
public static class PostgresErrorText
{
    public static string Reason(Exception e, string connectionString)
    {
        var text = e switch
        {
            PostgresException pg => $"{pg.MessageText} (SQLSTATE {pg.SqlState})",
            NpgsqlException { InnerException: System.Net.Sockets.SocketException socket } => $"{socket.SocketErrorCode}",
            NpgsqlException { InnerException: TimeoutException } => "timed out",
            ArgumentException => "the connection string is not valid",
            _ => e.Message,
        };
        foreach (var secret in Values(connectionString).OrderByDescending(v => v.Length))
            text = text.Replace(secret, "***", StringComparison.OrdinalIgnoreCase);
        return text;
    }

    private static IEnumerable<string> Values(string connectionString)
    {
        yield return connectionString;
        NpgsqlConnectionStringBuilder builder;
        try { builder = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (Exception e) when (e is ArgumentException or FormatException) { yield break; }
        foreach (var key in builder.Keys)
        {
            // Numbers (port, timeouts) are not secrets, and masking every "5" would ruin the message.
            if (builder[key] is string { Length: > 2 } value) yield return value;
        }
    }
}
