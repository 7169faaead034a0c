using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Postgres;

/// <summary>
/// Import progress per file in PostgreSQL's import_files table, behaving exactly as <see cref="SqliteImportState"/>
/// (the shared conformance suite checks it).
/// </summary>
public sealed class PostgresImportState(PostgresDatabase database) : IImportState
{
    public ImportFileState? Load(string source, string path)
    {
        using var connection = database.Open();
        using var q = new NpgsqlCommand("SELECT size, mtime, \"offset\", line, state FROM import_files WHERE source = $1 AND path = $2;", connection);
        q.Parameters.Add(Text(source));
        q.Parameters.Add(Text(path));
        using var r = q.ExecuteReader();
        if (!r.Read()) return null;
        // line is bigint (SQLite's INTEGER), read back as the int it was written from.
        return new ImportFileState(r.GetInt64(0), r.GetString(1), r.GetInt64(2), checked((int)r.GetInt64(3)), r.IsDBNull(4) ? null : r.GetString(4));
    }

    public void Save(string source, string path, long size, string mtime, long offset, int line, string? carry)
    {
        using var connection = database.Open();
        using var q = new NpgsqlCommand("""
            INSERT INTO import_files (source, path, size, mtime, "offset", line, state, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (source, path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, "offset" = excluded."offset",
              line = excluded.line, state = excluded.state, imported_at = excluded.imported_at;
            """, connection);
        q.Parameters.Add(Text(source));
        q.Parameters.Add(Text(path));
        // A partial last line means the file is still growing: do not record it as fully read.
        q.Parameters.Add(Long(offset == size ? size : -1));
        q.Parameters.Add(Text(mtime));
        q.Parameters.Add(Long(offset));
        q.Parameters.Add(Long(line));
        q.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)carry ?? DBNull.Value });
        q.Parameters.Add(Text(DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
        q.ExecuteNonQuery();
    }

    private static NpgsqlParameter Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = value };
    private static NpgsqlParameter Long(long value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = value };
}
