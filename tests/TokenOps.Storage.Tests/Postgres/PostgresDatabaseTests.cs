using TokenOps.TestServers;
using Microsoft.Data.Sqlite;
using Npgsql;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The PostgreSQL schema history: one migrator at a time, the same steps, tables, columns and keys as SQLite, and a connection string that stays secret.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDatabaseTests(PostgresServer server) : IDisposable
{
    private readonly string _sqliteDir = Path.Combine(Path.GetTempPath(), "tokenops-storage-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Replicas_opening_a_fresh_database_at_once_apply_every_step_exactly_once()
    {
        var connectionString = server.NewDatabase("migrators");
        const int Replicas = 6;
        using var start = new Barrier(Replicas);
        var opens = Enumerable.Range(0, Replicas).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return new PostgresDatabase(connectionString);
        }));
        var databases = await Task.WhenAll(opens);
        try
        {
            var applied = databases.SelectMany(d => d.StepsApplied).ToList();
            Assert.Equal(applied.Count, applied.Distinct(StringComparer.Ordinal).Count());
            // Exactly one replica migrated (all steps in one transaction); the others found them recorded.
            Assert.Single(databases, d => d.StepsApplied.Count > 0);
            await using var connection = databases[0].Open();
            await using var count = new NpgsqlCommand("SELECT COUNT(*), COUNT(DISTINCT id) FROM schema_migrations;", connection);
            await using var reader = await count.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(applied.Count, reader.GetInt64(0));
            Assert.Equal(applied.Count, reader.GetInt64(1));
        }
        finally
        {
            foreach (var d in databases) await d.DisposeAsync();
        }
    }

    [Fact]
    public void The_steps_are_SQLites_steps_in_SQLites_order_and_a_second_open_applies_none()
    {
        var connectionString = server.NewDatabase("steps");
        using (var first = new PostgresDatabase(connectionString))
        {
            Assert.Equal(SqliteStepIds(), first.StepsApplied);
        }
        using var again = new PostgresDatabase(connectionString);
        Assert.Empty(again.StepsApplied);
    }

    [Fact]
    public void Every_table_has_SQLites_columns_primary_key_not_null_columns_and_indexes()
    {
        using var postgres = new PostgresDatabase(server.NewDatabase("schema"));
        var sqlite = SqliteSchema();
        var pg = PostgresSchema(postgres);
        Assert.Equal(sqlite.Keys.Order(StringComparer.Ordinal), pg.Keys.Order(StringComparer.Ordinal));
        foreach (var (table, expected) in sqlite)
        {
            var actual = pg[table];
            Assert.True(expected.Columns.SequenceEqual(actual.Columns), $"{table} columns: {string.Join(",", expected.Columns)} vs {string.Join(",", actual.Columns)}");
            Assert.True(expected.PrimaryKey.SequenceEqual(actual.PrimaryKey), $"{table} primary key: {string.Join(",", expected.PrimaryKey)} vs {string.Join(",", actual.PrimaryKey)}");
            // SQLite lets a text primary key hold NULL unless told otherwise; PostgreSQL never does: compare the other columns.
            Assert.True(expected.NotNull.Except(expected.PrimaryKey).SequenceEqual(actual.NotNull.Except(actual.PrimaryKey)), $"{table} NOT NULL columns differ");
        }
        Assert.Equal(SqliteIndexes(), PostgresIndexes(postgres));
    }

    [Fact]
    public void The_connection_string_never_appears_in_an_error_or_on_a_connection()
    {
        const string Secret = "pa55-w0rd-never-shown";
        // Unparsable.
        var bad = Assert.ThrowsAny<ArgumentException>(() => new PostgresDatabase($"Host=127.0.0.1;Password={Secret};Port=not-a-port"));
        Assert.DoesNotContain(Secret, bad.ToString(), StringComparison.Ordinal);
        // Nobody listening (a port just freed).
        int closed;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            closed = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var refused = Assert.ThrowsAny<Exception>(() => new PostgresDatabase($"Host=127.0.0.1;Port={closed};Username=tokenops;Password={Secret};Timeout=3"));
        Assert.DoesNotContain(Secret, refused.ToString(), StringComparison.Ordinal);
        // A working one (the test server trusts loopback and ignores the password): not readable back from the data source or a connection.
        var working = new NpgsqlConnectionStringBuilder(server.NewDatabase("secret")) { Password = Secret }.ToString();
        using var database = new PostgresDatabase(working);
        using var connection = database.Open();
        Assert.DoesNotContain(Secret, connection.ConnectionString, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, database.DataSource.ConnectionString, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, database.ToString() ?? "", StringComparison.Ordinal);
    }

    private sealed record Table(string[] Columns, string[] PrimaryKey, string[] NotNull);

    private List<string> SqliteStepIds()
    {
        using var connection = new SqliteDatabase(_sqliteDir).Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT id FROM schema_migrations ORDER BY rowid;";
        using var reader = query.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read()) ids.Add(reader.GetString(0));
        return ids;
    }

    private Dictionary<string, Table> SqliteSchema()
    {
        using var connection = new SqliteDatabase(_sqliteDir).Open();
        var tables = Strings(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%';");
        var schema = new Dictionary<string, Table>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            using var info = connection.CreateCommand();
            info.CommandText = $"SELECT name, pk, \"notnull\" FROM pragma_table_info('{table}') ORDER BY cid;";
            var columns = new List<(string Name, long Pk, bool NotNull)>();
            using (var reader = info.ExecuteReader())
                while (reader.Read()) columns.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2) != 0));
            schema[table] = new Table(
                columns.Select(c => c.Name).ToArray(),
                columns.Where(c => c.Pk > 0).OrderBy(c => c.Pk).Select(c => c.Name).ToArray(),
                columns.Where(c => c.NotNull).Select(c => c.Name).ToArray());
        }
        return schema;
    }

    private List<string> SqliteIndexes()
    {
        using var connection = new SqliteDatabase(_sqliteDir).Open();
        return Strings(connection, "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name;")
            .Order(StringComparer.Ordinal).ToList();
    }

    private static Dictionary<string, Table> PostgresSchema(PostgresDatabase database)
    {
        using var connection = database.Open();
        var tables = Strings(connection, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE';");
        var schema = new Dictionary<string, Table>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            var columns = Strings(connection, $"SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position;");
            var notNull = Strings(connection, $"SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}' AND is_nullable = 'NO' ORDER BY ordinal_position;");
            var key = Strings(connection, $"""
                SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = 'public.{table}'::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum);
                """);
            schema[table] = new Table(columns.ToArray(), key.ToArray(), notNull.ToArray());
        }
        return schema;
    }

    /// <summary>Indexes created by name (not those behind PRIMARY KEY and UNIQUE constraints, which SQLite names itself).</summary>
    private static List<string> PostgresIndexes(PostgresDatabase database)
    {
        using var connection = database.Open();
        return Strings(connection, """
            SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid);
            """).Order(StringComparer.Ordinal).ToList();
    }

    private static List<string> Strings(System.Data.Common.DbConnection connection, string sql)
    {
        using var query = connection.CreateCommand();
        query.CommandText = sql;
        using var reader = query.ExecuteReader();
        var values = new List<string>();
        while (reader.Read()) values.Add(reader.GetString(0));
        return values;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_sqliteDir, recursive: true); } catch (IOException) { }
    }
}
