using System.Data.Common;
using System.Text;
using TokenOps.Core.Metering;
using TokenOps.Core.Planning;

namespace TokenOps.Storage.Sql;

/// <summary>Planning reads (<see cref="IPlanningQueries"/>), the same SQL on every backend.</summary>
public abstract class SqlPlanningQueries(SqlDialect dialect) : IPlanningQueries
{
    /// <summary>Routes whose rows are not generations: a chat model cannot take their place.</summary>
    private const string NotGenerative = "'openai.embeddings', 'openai.moderations', 'anthropic.count_tokens'";

    private const string Model = "COALESCE(served_model, requested_model)";
    private const string Input = "(uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens)";
    private const string Generative = $"started_at >= @from AND started_at < @until AND route NOT IN ({NotGenerative}) AND {Model} IS NOT NULL";

    /// <summary>An open connection to the backend's database.</summary>
    protected abstract DbConnection Open();

    public virtual IReadOnlyList<WhatIfCell> WhatIfCells(WhatIfQuery q)
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        var filters = new StringBuilder();
        if (q.Team is not null)
        {
            filters.Append(" AND team = @team");
            SqlDialect.Parameter(query, "team", q.Team);
        }
        if (q.Model is not null)
        {
            filters.Append($" AND {Model} = @model");
            SqlDialect.Parameter(query, "model", q.Model);
        }
        SqlDialect.Parameter(query, "from", StoredRows.Time(q.From));
        SqlDialect.Parameter(query, "until", StoredRows.Time(q.Until));
        return GroupedCells(query, q, filters.ToString());
    }

    /// <summary>One grouped scan; the band expressions are in the grouping, so every cell pays one set of target rates.</summary>
    private IReadOnlyList<WhatIfCell> GroupedCells(DbCommand query, WhatIfQuery q, string filters)
    {
        var inputBand = Band(query, "ib", Input, q.InputBounds);
        var outputBand = Band(query, "ob", "output_tokens", q.OutputBounds);
        query.CommandText = $"""
            SELECT COALESCE(team, ''), {Model}, service_tier, {inputBand}, {outputBand}, COUNT(*),
                   {dialect.Sum("uncached_input_tokens")}, {dialect.Sum("cache_read_tokens")}, {dialect.Sum("cache_write_5m_tokens")},
                   {dialect.Sum("cache_write_1h_tokens")}, {dialect.Sum("output_tokens")},
                   {dialect.Sum("CASE WHEN reasoning_tokens < output_tokens THEN reasoning_tokens ELSE output_tokens END")},
                   {dialect.Sum("web_search_calls")}, {dialect.Sum("file_search_calls")}, {dialect.Sum("cost_nanos")},
                   {dialect.Sum("CASE WHEN reasoning_tokens > 0 THEN 1 ELSE 0 END")},
                   MIN(CASE WHEN reasoning_tokens > 0 THEN {dialect.ByteOrder("id")} END), MIN({dialect.ByteOrder("id")})
            FROM ledger WHERE {Generative}{filters}
            GROUP BY 1, 2, 3, 4, 5;
            """;
        var cells = new List<WhatIfCell>();
        using var r = query.ExecuteReader();
        while (r.Read())
        {
            cells.Add(new WhatIfCell(r.GetString(0), r.GetString(1), Enum.Parse<ServiceTier>(r.GetString(2)), Convert.ToInt32(r.GetValue(3)), Convert.ToInt32(r.GetValue(4)),
                r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13),
                r.GetInt64(14), r.GetInt64(15), r.IsDBNull(16) ? null : r.GetString(16), r.GetString(17)));
        }
        return cells;
    }

    /// <summary>How many of <paramref name="bounds"/> the expression exceeds (0 when there are none), bounds bound as parameters.</summary>
    private static string Band(DbCommand query, string prefix, string expression, IReadOnlyList<long> bounds)
    {
        if (bounds.Count == 0) return "0";
        var parts = new List<string>(bounds.Count);
        for (var i = 0; i < bounds.Count; i++)
        {
            SqlDialect.Parameter(query, prefix + i, bounds[i]);
            parts.Add($"CASE WHEN {expression} > @{prefix}{i} THEN 1 ELSE 0 END");
        }
        return "(" + string.Join(" + ", parts) + ")";
    }

    /// <summary>
    /// The rows a what-if reads, ungrouped, for a backend that sums them itself (<see cref="WhatIfCellSums"/>): team, model,
    /// lane, the buckets, tool calls, cost and id. Parameters by position: ?1 from, ?2 until, ?3 team, ?4 model, and the
    /// rowid range ?5..?6 (SQLite: a slice of the table, so slices can be read in parallel).
    /// </summary>
    protected static string StreamSql(string hint, WhatIfQuery q) =>
        $"SELECT team, {Model}, service_tier, " +
        "uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, " +
        "reasoning_tokens, web_search_calls, file_search_calls, cost_nanos, id " +
        $"FROM ledger{hint} WHERE started_at >= ?1 AND started_at < ?2 AND route NOT IN ({NotGenerative}) AND {Model} IS NOT NULL" +
        (q.Team is null ? "" : " AND team = ?3") + (q.Model is null ? "" : $" AND {Model} = ?4") + " AND rowid >= ?5 AND rowid <= ?6;";

    public IEnumerable<ReplayRow> Replay(DateTimeOffset from, DateTimeOffset until)
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = $"""
            SELECT id, started_at, person, team, project, COALESCE({Model}, route), uncached_input_tokens, cache_read_tokens,
                   cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, service_tier,
                   web_search_calls, file_search_calls, cost_nanos
            FROM ledger WHERE started_at >= @from AND started_at < @until AND cost_nanos > 0
            ORDER BY started_at, {dialect.ByteOrder("id")};
            """;
        SqlDialect.Parameter(query, "from", StoredRows.Time(from));
        SqlDialect.Parameter(query, "until", StoredRows.Time(until));
        using var r = query.ExecuteReader();
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        while (r.Read())
        {
            var usage = new TokenUsage
            {
                UncachedInput = r.GetInt64(6), CacheRead = r.GetInt64(7), CacheWrite5m = r.GetInt64(8), CacheWrite1h = r.GetInt64(9),
                Output = r.GetInt64(10), Reasoning = r.GetInt64(11), Tier = Enum.Parse<ServiceTier>(r.GetString(12)),
                WebSearchCalls = r.GetInt64(13), FileSearchCalls = r.GetInt64(14),
            };
            yield return new ReplayRow(r.GetString(0), StoredRows.ParseTime(r.GetString(1)), S(2), S(3), S(4), r.GetString(5), usage, r.GetInt64(15));
        }
    }
}
