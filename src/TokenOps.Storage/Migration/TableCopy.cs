using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace TokenOps.Storage.Migration;

/// <summary>
/// Copies one table from SQLite to PostgreSQL in primary-key order (keyset chunks: no OFFSET), a chunk per transaction, each row inserted with
/// <c>ON CONFLICT DO NOTHING</c>: a rerun (after a crash, or to check) adds only what is missing, never a duplicate.
/// Values keep their bytes: times are the same ISO text on both sides, money the same integers; only 0/1 flags
/// become booleans where PostgreSQL declares them.
/// </summary>
/// <param name="keys">The primary key's columns (or rowid): chunks are read in key order after the last key seen.</param>
internal sealed class TableCopy(string table, IReadOnlyList<(string Name, string PgType)> columns, IReadOnlyList<string> keys)
{
    public string Table { get; } = table;

    /// <summary>Copies every row; returns how many were new to PostgreSQL. <paramref name="afterChunk"/> runs after each committed chunk.</summary>
    public long Run(SqliteConnection source, NpgsqlConnection target, int chunkRows, Action<string, long>? afterChunk, CancellationToken cancellationToken)
    {
        var names = string.Join(", ", columns.Select(c => Quote(c.Name)));
        var keyList = string.Join(", ", keys.Select(Quote));
        object?[]? last = null;
        long added = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = new List<object?[]>(chunkRows);
            using (var read = source.CreateCommand())
            {
                var after = last is null ? "" : $"WHERE ({keyList}) > ({string.Join(", ", keys.Select((_, i) => "$k" + i))})";
                read.CommandText = $"SELECT {keyList}, {names} FROM {Quote(Table)} {after} ORDER BY {keyList} LIMIT $n;";
                if (last is not null)
                    for (var i = 0; i < keys.Count; i++) read.Parameters.AddWithValue("$k" + i, last[i] ?? DBNull.Value);
                read.Parameters.AddWithValue("$n", chunkRows);
                using var r = read.ExecuteReader();
                while (r.Read())
                {
                    last = new object?[keys.Count];
                    for (var i = 0; i < keys.Count; i++) last[i] = r.GetValue(i);
                    var row = new object?[columns.Count];
                    for (var i = 0; i < columns.Count; i++) row[i] = r.IsDBNull(keys.Count + i) ? null : r.GetValue(keys.Count + i);
                    rows.Add(row);
                }
            }
            if (rows.Count == 0) return added;
            using (var tx = target.BeginTransaction())
            {
                using var insert = new NpgsqlCommand(InsertSql(rows.Count, names), target, tx);
                foreach (var row in rows)
                    for (var i = 0; i < columns.Count; i++) insert.Parameters.Add(Parameter(row[i], columns[i].PgType));
                added += insert.ExecuteNonQuery();
                tx.Commit();
            }
            afterChunk?.Invoke(Table, added);
        }
    }

    private string InsertSql(int rows, string names)
    {
        var values = new System.Text.StringBuilder();
        var p = 1;
        for (var r = 0; r < rows; r++)
        {
            values.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Count; c++) values.Append(c == 0 ? "$" : ", $").Append(p++);
            values.Append(')');
        }
        return $"INSERT INTO {Quote(Table)} ({names}) VALUES {values} ON CONFLICT DO NOTHING;";
    }

    private static NpgsqlParameter Parameter(object? value, string pgType) => pgType switch
    {
        "boolean" => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = value is null ? DBNull.Value : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) != 0 },
        "bigint" => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = value is null ? DBNull.Value : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) },
        "integer" => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = value is null ? DBNull.Value : Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) },
        "double precision" => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Double, Value = value is null ? DBNull.Value : Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture) },
        _ => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = value is null ? DBNull.Value : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)! },
    };

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
