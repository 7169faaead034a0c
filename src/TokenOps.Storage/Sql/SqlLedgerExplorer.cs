using System.Data.Common;

namespace TokenOps.Storage.Sql;

/// <summary>
/// Pages through ledger rows newest first with keyset pagination on (started_at, id), the same SQL on every backend:
/// each page is an index range read, never an OFFSET over millions of rows. Both columns compare in byte order on every
/// backend (PostgreSQL declares them COLLATE "C"), so pages and cursors are identical.
/// </summary>
public abstract class SqlLedgerExplorer(SqlDialect dialect) : ILedgerExplorer
{
    public const int MaxLimit = ILedgerExplorer.MaxLimit;

    /// <summary>An open connection to the backend's database.</summary>
    protected abstract DbConnection Open();

    public (IReadOnlyList<ExplorerRow> Rows, string? NextCursor) Page(ExplorerFilter f)
    {
        using var connection = Open();
        using var cmd = connection.CreateCommand();
        var where = "started_at >= @from AND started_at < @to";
        SqlDialect.Parameter(cmd, "from", StoredRows.Time(f.From));
        SqlDialect.Parameter(cmd, "to", StoredRows.Time(f.To));
        void Eq(string column, string param, string? value)
        {
            if (value is null) return;
            where += $" AND {column} = @{param}";
            SqlDialect.Parameter(cmd, param, value);
        }
        Eq("person", "person", f.Person);
        Eq("team", "team", f.Team);
        Eq("project", "project", f.Project);
        Eq("served_model", "model", f.Model);
        var index = "";
        if (f.Status is { } status)
        {
            var failures = !status.Equals("Ok", StringComparison.OrdinalIgnoreCase);
            if (!status.Equals("error", StringComparison.OrdinalIgnoreCase)) Eq("outcome", "outcome", status);
            if (failures)
            {
                // Walk the partial index of failures (a few percent of rows) unless a person narrows it more.
                where += " AND outcome <> 'Ok'";
                if (f.Person is null) index = dialect.IndexHint(f.Team is null ? "ledger_errors" : "ledger_team_errors");
            }
        }
        if (f.Cursor is { } cursor)
        {
            var bar = cursor.IndexOf('|', StringComparison.Ordinal);
            if (bar <= 0) throw new FormatException("invalid cursor");
            where += " AND (started_at < @cursorAt OR (started_at = @cursorAt AND id < @cursorId))";
            SqlDialect.Parameter(cmd, "cursorAt", cursor[..bar]);
            SqlDialect.Parameter(cmd, "cursorId", cursor[(bar + 1)..]);
        }
        var limit = Math.Clamp(f.Limit, 1, MaxLimit);
        cmd.CommandText =
            "SELECT id, started_at, person, team, project, feature, route, provider, requested_model, served_model, " +
            "uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens, cache_read_tokens, output_tokens, " +
            "cost_nanos, status, outcome, error_code, latency_ms, streamed, estimated, budget_action, source " +
            $"FROM ledger{index} WHERE {where} ORDER BY started_at DESC, id DESC LIMIT {limit + 1};";
        using var r = cmd.ExecuteReader();
        var rows = new List<ExplorerRow>(limit + 1);
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        while (r.Read())
            rows.Add(new ExplorerRow(r.GetString(0), r.GetString(1), S(2), S(3), S(4), S(5), r.GetString(6), S(7), S(8), S(9),
                r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13), r.GetInt32(14), r.GetString(15), S(16), r.GetDouble(17),
                SqlDialect.Flag(r, 18), SqlDialect.Flag(r, 19), S(20), r.GetString(21)));
        string? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(rows.Count - 1);
            next = rows[^1].StartedAt + "|" + rows[^1].Id;
        }
        return (rows, next);
    }

    /// <summary>Degraded requests in a range (few: enforcement degrades rarely), read through the covering partial index
    /// (SQLite is told to: with a team filter its planner would otherwise walk the team's whole range).</summary>
    public IReadOnlyList<DegradedRow> Degraded(DateTimeOffset from, DateTimeOffset to, string? team, string? person, int max = 20_000)
    {
        using var connection = Open();
        using var cmd = connection.CreateCommand();
        var where = "budget_action LIKE 'degraded%' AND started_at >= @from AND started_at < @to";
        SqlDialect.Parameter(cmd, "from", StoredRows.Time(from));
        SqlDialect.Parameter(cmd, "to", StoredRows.Time(to));
        if (team is not null) { where += " AND team = @team"; SqlDialect.Parameter(cmd, "team", team); }
        if (person is not null) { where += " AND person = @person"; SqlDialect.Parameter(cmd, "person", person); }
        cmd.CommandText = "SELECT requested_model, served_model, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, " +
            $"cache_write_1h_tokens, output_tokens, reasoning_tokens, cost_nanos, budget_action FROM ledger{dialect.IndexHint("ledger_degraded_cover")} WHERE {where} LIMIT {max};";
        using var r = cmd.ExecuteReader();
        var rows = new List<DegradedRow>();
        while (r.Read())
            rows.Add(new DegradedRow(r.IsDBNull(0) ? null : r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2), r.GetInt64(3),
                r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetString(9)));
        return rows;
    }

    public ResponseOwner? ResponseOwner(string responseId)
    {
        using var connection = Open();
        using var cmd = connection.CreateCommand();
        // The partial index of step 1800 (route = 'openai.responses'): one index probe.
        cmd.CommandText = "SELECT person, provider FROM ledger WHERE route = 'openai.responses' AND provider_request_id = @id ORDER BY started_at LIMIT 1;";
        SqlDialect.Parameter(cmd, "id", responseId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? new ResponseOwner(r.IsDBNull(0) ? null : r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)) : null;
    }
}
