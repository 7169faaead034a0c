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

    public IEnumerable<LedgerEntry> Read(DateTimeOffset from, DateTimeOffset to)
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM ledger WHERE started_at >= @from AND started_at < @to ORDER BY started_at, id;";
        SqlDialect.Parameter(query, "from", StoredRows.Time(from));
        SqlDialect.Parameter(query, "to", StoredRows.Time(to));
        using var r = query.ExecuteReader();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        // '' (see Columns) is NULL; a repeated name is shared rather than kept once per row.
        string? S(int i)
        {
            var s = r.GetString(i);
            if (s.Length == 0) return null;
            if (names.TryGetValue(s, out var shared)) return shared;
            if (names.Count < 1_000_000) names[s] = s;
            return s;
        }
        long? L(int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
        while (r.Read())
        {
            var uncached = r.GetInt64(15);
            var read = r.GetInt64(16);
            var write5m = r.GetInt64(17);
            var write1h = r.GetInt64(18);
            var total = r.GetInt64(19);
            var usage = new TokenUsage
            {
                UncachedInput = r.GetInt64(7), CacheRead = r.GetInt64(8), CacheWrite5m = r.GetInt64(9), CacheWrite1h = r.GetInt64(10),
                Output = r.GetInt64(11), Reasoning = r.GetInt64(12), Tier = StoredRows.ParseTier(r.GetString(13)),
            };
            if (r.GetInt64(14) != 0)
                usage = usage with
                {
                    WebSearchCalls = r.GetInt64(31), WebFetchCalls = r.GetInt64(32), FileSearchCalls = r.GetInt64(33),
                    AudioInput = r.GetInt64(34), AudioOutput = r.GetInt64(35), ImageInput = r.GetInt64(36), ImageOutput = r.GetInt64(37),
                };
            yield return new LedgerEntry
            {
                Id = r.GetString(0), StartedAt = StoredRows.ParseTimeFast(r.GetString(1)), EndedAt = default, Route = S(2) ?? "", KeyId = S(3),
                Person = S(4), Team = S(5), ServedModel = S(6), Usage = usage,
                Cost = new CostBreakdown
                {
                    UncachedInput = NanoUsd.ToUsd(uncached), CacheRead = NanoUsd.ToUsd(read), CacheWrite5m = NanoUsd.ToUsd(write5m),
                    CacheWrite1h = NanoUsd.ToUsd(write1h), Output = NanoUsd.ToUsd(total - uncached - read - write5m - write1h),
                },
                CostNanos = total,
                Outcome = StoredRows.ParseOutcome(r.GetString(20)), SessionId = S(21), RouteScore = r.IsDBNull(22) ? null : r.GetDouble(22),
                PrefixHash = L(23), PrefixTokens = r.GetInt64(24), PromptHash = L(25), TurnSimHash = L(26), MessageCount = r.GetInt32(27),
                FinishReason = S(28), ToolCallCount = r.GetInt32(29), KeyKind = S(30),
            };
        }
    }
}
