using System.Data.Common;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Storage.Sql;

/// <summary>
/// <see cref="IWasteRowReader"/> with the same SQL on every backend. Repeated names (people, teams, models, sessions)
/// are shared, not allocated per row, since the detectors keep rows as evidence; times are parsed from their fixed
/// width text by <see cref="StoredRows.ParseTimeFast"/>; the cost buckets past the input side are folded into
/// <c>Output</c>, so that <c>Cost.Total</c> is the row's cost to the nano-dollar.
/// </summary>
public abstract class SqlWasteRowReader : IWasteRowReader
{
    /// <summary>
    /// Every driver call per column costs (a million rows make tens of millions of them), so the SQL does what it can:
    /// names that are never empty come as '' instead of NULL (one call, not two), and the buckets that are nearly always
    /// zero (tool calls, audio and image tokens) are read only when their sum, one column, is not.
    /// </summary>
    public const string Columns =
        "id, started_at, COALESCE(route, ''), COALESCE(key_id, ''), COALESCE(person, ''), COALESCE(team, ''), COALESCE(served_model, ''), " +
        "uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, service_tier, " +
        "web_search_calls + web_fetch_calls + file_search_calls + audio_input_tokens + audio_output_tokens + image_input_tokens + image_output_tokens, " +
        "uncached_input_nanos, cache_read_nanos, cache_write_5m_nanos, cache_write_1h_nanos, cost_nanos, outcome, COALESCE(session_id, ''), route_score, " +
        "prefix_hash, prefix_tokens, prompt_hash, turn_simhash, message_count, COALESCE(finish_reason, ''), tool_call_count, COALESCE(key_kind, ''), " +
        "web_search_calls, web_fetch_calls, file_search_calls, audio_input_tokens, audio_output_tokens, image_input_tokens, image_output_tokens";

    /// <summary>An open connection to the backend's database.</summary>
    protected abstract DbConnection Open();

    protected const string Sql = $"SELECT {Columns} FROM ledger WHERE started_at >= @from AND started_at < @to ORDER BY started_at, id;";

    public virtual IEnumerable<LedgerEntry> Read(DateTimeOffset from, DateTimeOffset to)
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = Sql;
        SqlDialect.Parameter(query, "from", StoredRows.Time(from));
        SqlDialect.Parameter(query, "to", StoredRows.Time(to));
        using var r = query.ExecuteReader();
        var columns = new DataReaderColumns(r, new WasteNames());
        while (r.Read()) yield return Row(ref columns);
    }

    /// <summary>The columns of the current row, as a driver gives them; a struct, so <see cref="Row"/> is compiled for each driver.</summary>
    protected interface IWasteColumns
    {
        bool IsNull(int i);
        long Int64(int i);
        double Double(int i);
        string Text(int i);
        DateTimeOffset Time(int i);
        /// <summary>A name column ('' is NULL), shared between rows.</summary>
        string? Name(int i);
    }

    /// <summary>Repeated names (people, teams, models, sessions, enum names) kept once, not once per row.</summary>
    protected sealed class WasteNames
    {
        private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

        public WasteNames() => _lookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();

        public string? Share(ReadOnlySpan<char> name)
        {
            if (name.IsEmpty) return null;
            if (_lookup.TryGetValue(name, out var shared)) return shared;
            var s = name.ToString();
            if (_names.Count < 1_000_000) _names[s] = s;
            return s;
        }
    }

    private readonly struct DataReaderColumns(DbDataReader r, WasteNames names) : IWasteColumns
    {
        public bool IsNull(int i) => r.IsDBNull(i);
        public long Int64(int i) => r.GetInt64(i);
        public double Double(int i) => r.GetDouble(i);
        public string Text(int i) => r.GetString(i);
        public DateTimeOffset Time(int i) => StoredRows.ParseTimeFast(r.GetString(i));
        public string? Name(int i) => names.Share(r.GetString(i));
    }

    /// <summary>One row from <see cref="Columns"/>, whichever driver read it.</summary>
    protected static LedgerEntry Row<T>(ref T r) where T : struct, IWasteColumns
    {
        var uncached = r.Int64(15);
        var read = r.Int64(16);
        var write5m = r.Int64(17);
        var write1h = r.Int64(18);
        var total = r.Int64(19);
        var usage = new TokenUsage
        {
            UncachedInput = r.Int64(7), CacheRead = r.Int64(8), CacheWrite5m = r.Int64(9), CacheWrite1h = r.Int64(10),
            Output = r.Int64(11), Reasoning = r.Int64(12), Tier = StoredRows.ParseTier(r.Name(13) ?? ""),
        };
        if (r.Int64(14) != 0)
            usage = usage with
            {
                WebSearchCalls = r.Int64(31), WebFetchCalls = r.Int64(32), FileSearchCalls = r.Int64(33),
                AudioInput = r.Int64(34), AudioOutput = r.Int64(35), ImageInput = r.Int64(36), ImageOutput = r.Int64(37),
            };
        return new LedgerEntry
        {
            Id = r.Text(0), StartedAt = r.Time(1), EndedAt = default, Route = r.Name(2) ?? "", KeyId = r.Name(3),
            Person = r.Name(4), Team = r.Name(5), ServedModel = r.Name(6), Usage = usage,
            Cost = new CostBreakdown
            {
                UncachedInput = NanoUsd.ToUsd(uncached), CacheRead = NanoUsd.ToUsd(read), CacheWrite5m = NanoUsd.ToUsd(write5m),
                CacheWrite1h = NanoUsd.ToUsd(write1h), Output = NanoUsd.ToUsd(total - uncached - read - write5m - write1h),
            },
            CostNanos = total,
            Outcome = StoredRows.ParseOutcome(r.Name(20) ?? ""), SessionId = r.Name(21), RouteScore = r.IsNull(22) ? null : r.Double(22),
            PrefixHash = r.IsNull(23) ? null : r.Int64(23), PrefixTokens = r.Int64(24), PromptHash = r.IsNull(25) ? null : r.Int64(25),
            TurnSimHash = r.IsNull(26) ? null : r.Int64(26), MessageCount = (int)r.Int64(27),
            FinishReason = r.Name(28), ToolCallCount = (int)r.Int64(29), KeyKind = r.Name(30),
        };
    }
}
