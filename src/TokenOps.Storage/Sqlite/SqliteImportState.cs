using System.Globalization;

namespace TokenOps.Storage.Sqlite;

/// <summary>Import progress per file in the import_files table (schema step 0300_import_files).</summary>
public sealed class SqliteImportState(SqliteDatabase database) : IImportState
{
    public ImportFileState? Load(string source, string path)
    {
        using var connection = database.Open();
        using var q = connection.CreateCommand();
        q.CommandText = "SELECT size, mtime, offset, line, state FROM import_files WHERE source = $s AND path = $p;";
        q.Parameters.AddWithValue("$s", source);
        q.Parameters.AddWithValue("$p", path);
        using var r = q.ExecuteReader();
        if (!r.Read()) return null;
        return new ImportFileState(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetInt32(3), r.IsDBNull(4) ? null : r.GetString(4));
    }

    public void Save(string source, string path, long size, string mtime, long offset, int line, string? carry)
    {
        using var connection = database.Open();
        using var q = connection.CreateCommand();
        q.CommandText = """
            INSERT INTO import_files (source, path, size, mtime, offset, line, state, imported_at) VALUES ($s, $p, $size, $m, $o, $l, $st, $at)
            ON CONFLICT(source, path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, offset = excluded.offset,
              line = excluded.line, state = excluded.state, imported_at = excluded.imported_at;
            """;
        q.Parameters.AddWithValue("$s", source);
        q.Parameters.AddWithValue("$p", path);
        // A partial last line means the file is still growing: do not record it as fully read.
        q.Parameters.AddWithValue("$size", offset == size ? size : -1);
        q.Parameters.AddWithValue("$m", mtime);
        q.Parameters.AddWithValue("$o", offset);
        q.Parameters.AddWithValue("$l", line);
        q.Parameters.AddWithValue("$st", (object?)carry ?? DBNull.Value);
        q.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        q.ExecuteNonQuery();
    }
}
