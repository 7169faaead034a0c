using System.CommandLine;
using TokenOps.Storage.Migration;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops migrate --data DIR --to-postgres`: copies an embedded installation (the SQLite database and its journal in
/// DIR) into the PostgreSQL database named by the TOKENOPS_PG environment variable, then verifies it. Idempotent and
/// resumable; exit 1 when verification fails, 2 when it cannot start. The connection string is never printed.
/// </summary>
internal static class MigrateCommand
{
    public const string ConnectionVariable = "TOKENOPS_PG";

    public static Command Create()
    {
        var data = CommonOptions.Data();
        var toPostgres = new Option<bool>("--to-postgres") { Description = $"Copy into PostgreSQL; the connection string is read from {ConnectionVariable}" };
        var chunk = new Option<int>("--chunk-size") { Description = "Rows per committed chunk (default 5000)", DefaultValueFactory = _ => 5000 };
        var command = new Command("migrate", "Move an embedded (SQLite) installation to PostgreSQL, verified; safe to run again") { data, toPostgres, chunk };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!parse.GetValue(toPostgres)) throw new CliException("say where to: --to-postgres (the only target today)", 2);
            if (parse.GetValue(chunk) < 1) throw new CliException("--chunk-size must be at least 1", 2);
            var connectionString = Environment.GetEnvironmentVariable(ConnectionVariable);
            if (string.IsNullOrWhiteSpace(connectionString)) throw new CliException($"set {ConnectionVariable} to the PostgreSQL connection string", 2);
            var directory = parse.GetValue(data) ?? CommonOptions.DefaultDataDirectory;
            MigrationResult result;
            try
            {
                result = await InstallationMigration.RunAsync(directory, connectionString, ConnectionVariable, parse.GetValue(chunk), cancel: cancellationToken);
            }
            catch (MigrationRefusedException e)
            {
                throw new CliException(e.Message, 2);
            }
            MigrationReport.Write(Console.Out, result);
            if (!result.Verified) throw new CliException("verification failed: PostgreSQL does not match the SQLite installation (see the table above); " +
                "if the installation changed after an interrupted run, or the database already held other rows, migrate again into a new, empty database", 1);
            Console.WriteLine("Done. Point tokenops.json at PostgreSQL (storage.kind \"postgres\", storage.connectionStringEnv) and start the gateway.");
            return 0;
        });
        return command;
    }
}
