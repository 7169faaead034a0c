using Microsoft.Data.Sqlite;
using Npgsql;

namespace TokenOps.Storage.Migration;

/// <summary>What one table's copy did: rows SQLite holds, and how many of them PostgreSQL did not have before this run.</summary>
public sealed record TableCopyResult(string Table, long Read, long Inserted);

/// <summary>
/// Copies every table of an SQLite installation into a PostgreSQL database whose schema PostgreSQL's own migrations
/// have already created (<see cref="Postgres.PostgresDatabase"/> applies them on open). Checks first that the two
/// schemas agree (same step ids recorded, no unknown table, same columns), then copies table by table in
/// <see cref="MigrationTables.All"/> order, then moves any sequence past the copied ids.
/// <para>
/// schema_migrations is compared, not copied: PostgreSQL's rows record when its own steps ran there, and a step id the
/// SQLite file has but PostgreSQL lacks (a newer build wrote it) stops the migration. The rollups are copied as they
/// are: SQLite keeps them in the ledger's write transaction, so they match its ledger, and the verifier checks they
/// match PostgreSQL's.
/// </para>
/// </summary>
public sealed class SqliteToPostgresCopier(SqliteConnection source, NpgsqlDataSource target)
{
    public int ChunkSize { get; init; } = 5000;

    /// <summary>Called after each committed chunk with the table and the rows read so far (progress; tests interrupt here).</summary>
    public Action<string, long>? AfterChunk { get; init; }

    /// <summary>The schema steps both databases record (checked equal on the SQLite side).</summary>
    public int CheckSchema()
    {
        var sqliteSteps = SqliteStrings($"SELECT id FROM {MigrationTables.SchemaMigrations};");
        var postgresSteps = PostgresStrings($"SELECT id FROM {MigrationTables.SchemaMigrations};").ToHashSet(StringComparer.Ordinal);
        var missing = sqliteSteps.Where(s => !postgresSteps.Contains(s)).ToList();
        if (missing.Count > 0)
            throw new MigrationRefusedException($"the SQLite database has schema steps PostgreSQL lacks ({string.Join(", ", missing)}): migrate with the build that wrote them");
        var known = MigrationTables.All.Select(t => t.Name).Append(MigrationTables.SchemaMigrations).ToHashSet(StringComparer.Ordinal);
        var unknown = SqliteStrings("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name;")
            .Where(t => !known.Contains(t)).ToList();
        if (unknown.Count > 0)
            throw new MigrationRefusedException($"the SQLite database has tables this build does not know how to copy ({string.Join(", ", unknown)})");
        foreach (var table in MigrationTables.All)
        {
            var sqliteColumns = SqliteStrings($"SELECT name FROM pragma_table_info('{table.Name}') ORDER BY name;");
            var postgresColumns = Columns(table).Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
            if (!sqliteColumns.SequenceEqual(postgresColumns, StringComparer.Ordinal))
                throw new MigrationRefusedException($"table {table.Name} has different columns in SQLite and PostgreSQL");
        }
        return sqliteSteps.Count;
    }

    public IReadOnlyList<TableCopyResult> CopyAll(CancellationToken cancel = default)
    {
        var results = new List<TableCopyResult>();
        foreach (var table in MigrationTables.All)
        {
            var (read, inserted) = new TableCopy(table, Columns(table)).Run(source, target, ChunkSize, AfterChunk, cancel);
            results.Add(new(table.Name, read, inserted));
        }
        return results;
    }

    /// <summary>
    /// Moves every sequence behind a copied column (serial or identity) past the largest copied value, so the next
    /// generated id cannot collide. Today's schema has none (every key is text or fixed); this keeps a later one safe.
    /// </summary>
    public IReadOnlyList<string> AdvanceSequences()
    {
        var advanced = new List<string>();
        var names = MigrationTables.All.Select(t => t.Name).ToArray();
        using var find = target.CreateCommand("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ANY($1)
              AND (is_identity = 'YES' OR column_default LIKE 'nextval(%') ORDER BY table_name, column_name;
            """);
        find.Parameters.Add(new NpgsqlParameter { Value = names });
        var columns = new List<(string Table, string Column)>();
        using (var reader = find.ExecuteReader())
            while (reader.Read()) columns.Add((reader.GetString(0), reader.GetString(1)));
        foreach (var (table, column) in columns)
        {
            using var set = target.CreateCommand(
                $"SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT MAX({MigrationTable.Quote(column)}) FROM {MigrationTable.Quote(table)}), 1));");
            set.Parameters.Add(new NpgsqlParameter { Value = table });
            set.Parameters.Add(new NpgsqlParameter { Value = column });
            set.ExecuteNonQuery();
            advanced.Add($"{table}.{column}");
        }
        return advanced;
    }

    private IReadOnlyList<TargetColumn> Columns(MigrationTable table)
    {
        using var command = target.CreateCommand(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position;");
        command.Parameters.Add(new NpgsqlParameter { Value = table.Name });
        using var reader = command.ExecuteReader();
        var columns = new List<TargetColumn>();
        while (reader.Read()) columns.Add(new(reader.GetString(0), reader.GetString(1)));
        if (columns.Count == 0) throw new MigrationRefusedException($"PostgreSQL has no table {table.Name}");
        return columns;
    }

    private List<string> SqliteStrings(string sql)
    {
        using var command = source.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read()) values.Add(reader.GetString(0));
        return values;
    }

    private List<string> PostgresStrings(string sql)
    {
        using var command = target.CreateCommand(sql);
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read()) values.Add(reader.GetString(0));
        return values;
    }
}
