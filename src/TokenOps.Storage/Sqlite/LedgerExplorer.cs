using System.Globalization;

namespace TokenOps.Storage.Sqlite;

/// <summary>
/// Pages through ledger rows newest first with keyset pagination on (started_at, id): each page is an index range
/// read, never an OFFSET over millions of rows.
/// </summary>
public sealed class LedgerExplorer(SqliteDatabase database) : ILedgerExplorer
{
    public const int MaxLimit = ILedgerExplorer.MaxLimit;

    public (IReadOnlyList<ExplorerRow> Rows, string? NextCursor) Page(ExplorerFilter f)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        var where = "started_at >= $from AND started_at < $to";
        cmd.Parameters.AddWithValue("$from", Time(f.From));
        cmd.Parameters.AddWithValue("$to", Time(f.To));
        void Eq(string column, string param, string? value)
        {
            if (value is null) return;
            where += $" AND {column} = {param}";
            cmd.Parameters.AddWithValue(param, value);
        }
        Eq("person", "$person", f.Person);
        Eq("team", "$team", f.Team);
        Eq("project", "$project", f.Project);
        Eq("served_model", "$model", f.Model);
        var index = "";
        if (f.Status is { } status)
        {
            var failures = !status.Equals("Ok", StringComparison.OrdinalIgnoreCase);
            if (!status.Equals("error", StringComparison.OrdinalIgnoreCase)) Eq("outcome", "$outcome", status);
            if (failures)
            {
                // Walk the partial index of failures (a few percent of rows) unless a person narrows it more.
                where += " AND outcome <> 'Ok'";
                if (f.Person is null) index = f.Team is null ? " INDEXED BY ledger_errors" : " INDEXED BY ledger_team_errors";
            }
        }
        if (f.Cursor is { } cursor)
        {
            var bar = cursor.IndexOf('|', StringComparison.Ordinal);
            if (bar <= 0) throw new FormatException("invalid cursor");
            where += " AND (started_at < $cursorAt OR (started_at = $cursorAt AND id < $cursorId))";
            cmd.Parameters.AddWithValue("$cursorAt", cursor[..bar]);
            cmd.Parameters.AddWithValue("$cursorId", cursor[(bar + 1)..]);
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
                r.GetInt64(18) != 0, r.GetInt64(19) != 0, S(20), r.GetString(21)));
        string? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(rows.Count - 1);
            next = rows[^1].StartedAt + "|" + rows[^1].Id;
        }
        return (rows, next);
    }

    /// <summary>A partial index of degraded rows holding every column <see cref="Degraded"/> reads (migration step 0620).</summary>
    internal const string DegradedCoveringIndexSql =
        "CREATE INDEX IF NOT EXISTS ledger_degraded_cover ON ledger(started_at, team, person, requested_model, served_model, " +
        "uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, " +
        "cost_nanos, budget_action) WHERE budget_action LIKE 'degraded%';\n";

    /// <summary>Degraded requests in a range (few: enforcement degrades rarely), always read through the covering partial index
    /// (with a team filter the planner would otherwise walk the team's whole range).</summary>
    public IReadOnlyList<DegradedRow> Degraded(DateTimeOffset from, DateTimeOffset to, string? team, string? person, int max = 20_000)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        var where = "budget_action LIKE 'degraded%' AND started_at >= $from AND started_at < $to";
        cmd.Parameters.AddWithValue("$from", Time(from));
        cmd.Parameters.AddWithValue("$to", Time(to));
        if (team is not null) { where += " AND team = $team"; cmd.Parameters.AddWithValue("$team", team); }
        if (person is not null) { where += " AND person = $person"; cmd.Parameters.AddWithValue("$person", person); }
        cmd.CommandText = "SELECT requested_model, served_model, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, " +
            $"cache_write_1h_tokens, output_tokens, reasoning_tokens, cost_nanos, budget_action FROM ledger INDEXED BY ledger_degraded_cover WHERE {where} LIMIT {max};";
        using var r = cmd.ExecuteReader();
        var rows = new List<DegradedRow>();
        while (r.Read())
            rows.Add(new DegradedRow(r.IsDBNull(0) ? null : r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2), r.GetInt64(3),
                r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetString(9)));
        return rows;
    }

    internal static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}

