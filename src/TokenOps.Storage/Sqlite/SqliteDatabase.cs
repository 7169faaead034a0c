using Microsoft.Data.Sqlite;

namespace TokenOps.Storage.Sqlite;

/// <summary>The embedded store: one SQLite file in WAL mode under the data directory, schema applied on open.</summary>
public sealed class SqliteDatabase
{
    public string Path { get; }
    private readonly string _connectionString;

    /// <summary>The database file of a data directory (whether or not it exists yet).</summary>
    public static string FileIn(string dataDirectory) => System.IO.Path.Combine(dataDirectory, "tokenops.db");

    public SqliteDatabase(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        Path = FileIn(dataDirectory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        // WAL is a property of the file, kept across connections and restarts: set once here, not on every open.
        // It lets the CLI and the dashboard read while the gateway writes.
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }
        Migrations.Apply(connection);
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        // Per-connection settings: busy_timeout makes concurrent writers wait instead of failing.
        pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
        pragma.ExecuteNonQuery();
        return connection;
    }
}
