using System.CommandLine;
using Npgsql;
using TokenOps.Storage.Migration;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops migrate --data DIR --to-postgres`: moves an embedded installation up to PostgreSQL (connection string from
/// TOKENOPS_PG, never printed). Safe to rerun: it adds only what is missing, then verifies counts and cost sums.
/// </summary>
internal static class MigrateCommand
{
    public const string ConnectionVariable = "TOKENOPS_PG";

    public static Command Create()
    {
        var data = CommonOptions.Data();
        var toPostgres = new Option<bool>("--to-postgres") { Description = $"Copy the installation into PostgreSQL (connection string from {ConnectionVariable})" };
        var chunk = new Option<int>("--chunk-rows") { Description = "Rows per transaction (a rerun after an interruption resumes from what landed)", DefaultValueFactory = _ => 2000 };
        var command = new Command("migrate", "Move an embedded (SQLite) installation into PostgreSQL: idempotent, resumable, verified. Stop the gateway first.")
        {
            data, toPostgres, chunk,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!parse.GetValue(toPostgres)) throw new CliException("migrate: say where to: --to-postgres", 2);
            if (parse.GetValue(chunk) is < 1 or > 100_000) throw new CliException("--chunk-rows must be between 1 and 100000", 2);
            var directory = parse.GetValue(data) ?? CommonOptions.DefaultDataDirectory;
            if (!File.Exists(Path.Combine(directory, "tokenops.db")))
                throw new CliException($"migrate: no TokenOps installation in {directory} (no tokenops.db)", 2);
            var connectionString = Environment.GetEnvironmentVariable(ConnectionVariable);
            if (string.IsNullOrWhiteSpace(connectionString)) throw new CliException($"migrate: set {ConnectionVariable} to the PostgreSQL connection string", 2);
            MigrationReport report;
            try
            {
                report = await new SqliteToPostgres(directory, connectionString) { ChunkRows = parse.GetValue(chunk) }.RunAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or ArgumentException or TimeoutException)
            {
                // Npgsql's messages can name the host and user: say what failed, not the connection string.
                throw new CliException($"migrate: cannot reach PostgreSQL ({ConnectionVariable}): {Describe(ex)}", 1);
            }
            catch (MigrationException ex)
            {
                throw new CliException("migrate: " + ex.Message, 1);
            }
            Print(report);
            return report.Verification.Passed ? 0 : 1;
        });
        return command;
    }

    private static string Describe(Exception ex) => ex switch
    {
        PostgresException pg => $"{pg.SqlState} {pg.MessageText}",
        NpgsqlException { InnerException: System.Net.Sockets.SocketException s } => s.SocketErrorCode.ToString(),
        ArgumentException => "the connection string is not valid",
        TimeoutException => "timed out",
        _ => ex.GetType().Name,
    };

    private static void Print(MigrationReport report)
    {
        if (report.JournalRowsReplayed > 0) Console.WriteLine($"Replayed {report.JournalRowsReplayed} rows from the journal into SQLite first.");
        Console.WriteLine($"{"TABLE",-28} {"SQLITE",10} {"POSTGRES",10} {"ADDED",10}");
        foreach (var t in report.Tables) Console.WriteLine($"{t.Table,-28} {t.SqliteRows,10} {t.PostgresRows,10} {t.Added,10}");
        var v = report.Verification;
        Console.WriteLine($"Ledger cost: {v.SqliteCostNanos} nano-USD in SQLite, {v.PostgresCostNanos} in PostgreSQL.");
        if (v.Passed)
        {
            Console.WriteLine("Verified: every table has the same row count on both sides, the ledger's cost is equal to the nano-dollar, and the rollups add up.");
            return;
        }
        Console.Error.WriteLine("Verification FAILED:");
        foreach (var p in v.Problems) Console.Error.WriteLine("  " + p);
    }
}
