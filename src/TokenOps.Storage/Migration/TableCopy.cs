using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace TokenOps.Storage.Migration;

/// <summary>
/// Copies one table from SQLite to PostgreSQL in primary-key order, a chunk at a time: each chunk is one
/// <c>INSERT ... SELECT FROM unnest(one array per column) ON CONFLICT (key) DO NOTHING</c>, committed on its own, so a
/// copy killed midway keeps what it committed and a rerun inserts exactly what is missing. Values go across as they are
/// stored (text stays the same bytes, integers the same integers); only SQLite's 0/1 flags become PostgreSQL booleans.
/// </summary>
public sealed class TableCopy(MigrationTable table, IReadOnlyList<TargetColumn> columns)
{
    /// <summary>Copies every row; returns (rows read from SQLite, rows PostgreSQL did not have).</summary>
    public (long Read, long Inserted) Run(SqliteConnection source, NpgsqlDataSource target, int chunkSize, Action<string, long>? afterChunk, CancellationToken cancel)
    {
        var names = string.Join(", ", columns.Select(c => MigrationTable.Quote(c.Name)));
        var keyList = string.Join(", ", table.Key.Select(MigrationTable.Quote));
        var keyIndexes = table.Key.Select(k => columns.ToList().FindIndex(c => c.Name == k)).ToArray();
        var insert = $"INSERT INTO {MigrationTable.Quote(table.Name)} ({names}) SELECT * FROM unnest({string.Join(", ", columns.Select((c, i) => $"${i + 1}::{c.Type}[]"))}) {table.ConflictClause};";
        object?[]? last = null;
        long read = 0, inserted = 0;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var rows = ReadChunk(source, names, keyList, keyIndexes, last, chunkSize);
            if (rows.Count == 0) break;
            using (var command = target.CreateCommand(insert))
            {
                for (var i = 0; i < columns.Count; i++) command.Parameters.Add(columns[i].ArrayParameter(rows, i));
                // One statement: its own transaction, committed before the next chunk is read.
                inserted += command.ExecuteNonQuery();
            }
            read += rows.Count;
            last = keyIndexes.Select(k => rows[^1][k]).ToArray();
            afterChunk?.Invoke(table.Name, read);
            if (rows.Count < chunkSize) break;
        }
        return (read, inserted);
    }

    /// <summary>The next chunk after <paramref name="last"/> in key order (SQLite's BINARY order of the key's row value).</summary>
    private List<object?[]> ReadChunk(SqliteConnection source, string names, string keyList, int[] keyIndexes, object?[]? last, int chunkSize)
    {
        using var command = source.CreateCommand();
        var after = "";
        if (last is not null)
        {
            after = $"WHERE ({keyList}) > ({string.Join(", ", last.Select((_, i) => "$k" + i))})";
            for (var i = 0; i < last.Length; i++) command.Parameters.AddWithValue("$k" + i, last[i] ?? DBNull.Value);
        }
        command.CommandText = $"SELECT {names} FROM {MigrationTable.Quote(table.Name)} {after} ORDER BY {keyList} LIMIT {chunkSize.ToString(CultureInfo.InvariantCulture)};";
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>(chunkSize);
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }
}

/// <summary>A column of the PostgreSQL table, with the type its values are sent as.</summary>
public sealed record TargetColumn(string Name, string Type)
{
    public NpgsqlParameter ArrayParameter(List<object?[]> rows, int index) => Type switch
    {
        "text" => new NpgsqlParameter { Value = rows.Select(r => r[index] is null ? null : Convert.ToString(r[index], CultureInfo.InvariantCulture)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
        "bigint" => new NpgsqlParameter { Value = rows.Select(r => r[index] is null ? (long?)null : Convert.ToInt64(r[index], CultureInfo.InvariantCulture)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
        "integer" => new NpgsqlParameter { Value = rows.Select(r => r[index] is null ? (int?)null : Convert.ToInt32(r[index], CultureInfo.InvariantCulture)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer },
        "double precision" => new NpgsqlParameter { Value = rows.Select(r => r[index] is null ? (double?)null : Convert.ToDouble(r[index], CultureInfo.InvariantCulture)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double },
        "boolean" => new NpgsqlParameter { Value = rows.Select(r => r[index] is null ? (bool?)null : Convert.ToInt64(r[index], CultureInfo.InvariantCulture) != 0).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean },
        _ => throw new InvalidOperationException($"column {Name}: PostgreSQL type {Type} is not one the migration knows how to copy"),
    };
}
