using System.Data.Common;
using System.Globalization;

namespace TokenOps.Storage.Sql;

/// <summary>
/// <see cref="IBatchStore"/> in the same SQL on both backends. The settlement claim is one conditional UPDATE (a row lock
/// on PostgreSQL, the write lock on SQLite), so of two replicas racing for a batch exactly one sees a changed row.
/// </summary>
public abstract class SqlBatchStore : IBatchStore
{
    private const string BatchColumns =
        "id, provider_batch_id, protocol, provider, owner, key_id, person, team, project, feature, tags, endpoint, input_file_id, status, " +
        "reserved_nanos, line_count, created_at, ended_at, output_file_id, error_file_id, claimed_by, claimed_until, settled_at, settled_nanos, settled_rows, row_facts, hold_id";

    protected abstract DbConnection Open();

    /// <summary>The dialect's insert that ignores an existing key ("INSERT OR IGNORE INTO" / "INSERT INTO … ON CONFLICT DO NOTHING").</summary>
    protected abstract (string Prefix, string Suffix) InsertIgnore { get; }

    public bool AddFile(StoredBatchFile f)
    {
        var (prefix, suffix) = InsertIgnore;
        return Execute($"""
            {prefix} batch_files (id, provider, owner, key_id, purpose, filename, bytes, endpoint, line_count, worst_nanos, batch_id, created_at)
            VALUES (@id, @provider, @owner, @key, @purpose, @filename, @bytes, @endpoint, @lines, @worst, @batch, @created){suffix}
            """, ("id", f.Id), ("provider", f.Provider), ("owner", f.Owner), ("key", f.KeyId), ("purpose", f.Purpose), ("filename", f.Filename),
            ("bytes", f.Bytes), ("endpoint", f.Endpoint), ("lines", (long)f.LineCount), ("worst", f.WorstNanos), ("batch", f.BatchId),
            ("created", StoredRows.Time(f.CreatedAt))) == 1;
    }

    public StoredBatchFile? FindFile(string id)
    {
        using var connection = Open();
        using var query = Command(connection, """
            SELECT id, provider, owner, key_id, purpose, filename, bytes, endpoint, line_count, worst_nanos, batch_id, created_at
            FROM batch_files WHERE id = @id
            """, ("id", id));
        using var r = query.ExecuteReader();
        if (!r.Read()) return null;
        return new StoredBatchFile(r.GetString(0), r.GetString(1), r.GetString(2), S(r, 3), r.GetString(4), S(r, 5), r.GetInt64(6), S(r, 7),
            (int)r.GetInt64(8), r.GetInt64(9), S(r, 10), StoredRows.ParseTime(r.GetString(11)));
    }

    public bool Add(StoredBatch b)
    {
        var (prefix, suffix) = InsertIgnore;
        return Execute($"""
            {prefix} batches ({BatchColumns})
            VALUES (@id, @pid, @protocol, @provider, @owner, @key, @person, @team, @project, @feature, @tags, @endpoint, @input, @status,
                    @reserved, @lines, @created, @ended, @output, @error, NULL, NULL, NULL, NULL, NULL, @facts, @hold){suffix}
            """, ("id", b.Id), ("pid", b.ProviderBatchId), ("protocol", b.Protocol), ("provider", b.Provider), ("owner", b.Owner), ("key", b.KeyId),
            ("person", b.Person), ("team", b.Team), ("project", b.Project), ("feature", b.Feature), ("tags", b.Tags), ("endpoint", b.Endpoint),
            ("input", b.InputFileId), ("status", b.Status), ("reserved", b.ReservedNanos), ("lines", (long)b.LineCount),
            ("created", StoredRows.Time(b.CreatedAt)), ("ended", Time(b.EndedAt)), ("output", b.OutputFileId), ("error", b.ErrorFileId),
            ("facts", b.RowFacts), ("hold", b.HoldId)) == 1;
    }

    public StoredBatch? Find(string id) => Query($"SELECT {BatchColumns} FROM batches WHERE id = @id", ("id", id)).FirstOrDefault();

    public IReadOnlyList<StoredBatch> List(string owner, string protocol, string? after, int limit)
    {
        var limitText = Math.Clamp(limit, 1, 1000).ToString(CultureInfo.InvariantCulture);
        // Newest first; ties on the creation time are broken by id, so "after" pages never skip or repeat.
        return after is null
            ? Query($"SELECT {BatchColumns} FROM batches WHERE owner = @owner AND protocol = @protocol ORDER BY created_at DESC, id DESC LIMIT {limitText}",
                ("owner", owner), ("protocol", protocol))
            : Query($"""
                SELECT {BatchColumns} FROM batches b WHERE owner = @owner AND protocol = @protocol AND EXISTS (
                    SELECT 1 FROM batches a WHERE a.id = @after AND a.owner = @owner
                    AND (b.created_at < a.created_at OR (b.created_at = a.created_at AND b.id < a.id)))
                ORDER BY created_at DESC, id DESC LIMIT {limitText}
                """, ("owner", owner), ("protocol", protocol), ("after", after));
    }

    public IReadOnlyList<StoredBatch> Unsettled(int limit) =>
        Query($"SELECT {BatchColumns} FROM batches WHERE settled_at IS NULL ORDER BY created_at, id LIMIT {Math.Clamp(limit, 1, 10_000).ToString(CultureInfo.InvariantCulture)}");

    public void UpdateStatus(string id, string status, DateTimeOffset? endedAt, string? outputFileId, string? errorFileId) =>
        Execute("""
            UPDATE batches SET status = @status, ended_at = COALESCE(@ended, ended_at), output_file_id = COALESCE(@output, output_file_id),
                error_file_id = COALESCE(@error, error_file_id)
            WHERE id = @id AND settled_at IS NULL
            """, ("id", id), ("status", status), ("ended", Time(endedAt)), ("output", outputFileId), ("error", errorFileId));

    public bool TryClaimSettlement(string id, string claimant, DateTimeOffset now, DateTimeOffset until) =>
        Execute("""
            UPDATE batches SET claimed_by = @claimant, claimed_until = @until
            WHERE id = @id AND settled_at IS NULL AND (claimed_until IS NULL OR claimed_until <= @now OR claimed_by = @claimant)
            """, ("id", id), ("claimant", claimant), ("until", StoredRows.Time(until)), ("now", StoredRows.Time(now))) == 1;

    public bool MarkSettled(string id, string claimant, long settledNanos, int rows, DateTimeOffset at) =>
        Execute("""
            UPDATE batches SET settled_at = @at, settled_nanos = @nanos, settled_rows = @rows, claimed_until = NULL
            WHERE id = @id AND settled_at IS NULL AND claimed_by = @claimant
            """, ("id", id), ("claimant", claimant), ("at", StoredRows.Time(at)), ("nanos", settledNanos), ("rows", (long)rows)) == 1;

    private List<StoredBatch> Query(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open();
        using var query = Command(connection, sql, parameters);
        using var r = query.ExecuteReader();
        var list = new List<StoredBatch>();
        while (r.Read())
        {
            list.Add(new StoredBatch(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), S(r, 5), S(r, 6), S(r, 7),
                S(r, 8), S(r, 9), S(r, 10), S(r, 11), S(r, 12), r.GetString(13), r.GetInt64(14), (int)r.GetInt64(15), StoredRows.ParseTime(r.GetString(16)))
            {
                EndedAt = T(r, 17), OutputFileId = S(r, 18), ErrorFileId = S(r, 19), ClaimedBy = S(r, 20), ClaimedUntil = T(r, 21),
                SettledAt = T(r, 22), SettledNanos = r.IsDBNull(23) ? null : r.GetInt64(23), SettledRows = r.IsDBNull(24) ? null : (int)r.GetInt64(24),
                RowFacts = S(r, 25), HoldId = S(r, 26),
            });
        }
        return list;
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) SqlDialect.Parameter(command, name, value);
        return command;
    }

    private static string? S(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? T(DbDataReader r, int i) => r.IsDBNull(i) ? null : StoredRows.ParseTime(r.GetString(i));

    private static string? Time(DateTimeOffset? t) => t is { } v ? StoredRows.Time(v) : null;
}
