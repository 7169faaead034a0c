using System.Data.Common;
using TokenOps.Core.Pricing;
using TokenOps.Core.Reports;

namespace TokenOps.Storage.Sql;

/// <summary>
/// Reads the ledger as <see cref="PricedUsage"/> for reports, the same SQL on every backend: only the columns a report
/// needs, row by row, in (started_at, id) order (byte order on both: PostgreSQL declares the columns COLLATE "C").
/// </summary>
public abstract class SqlUsageReader : ILedgerUsageReader
{
    /// <summary>An open connection to the backend's database.</summary>
    protected abstract DbConnection Open();

    public IEnumerable<PricedUsage> Read()
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT started_at, COALESCE(served_model, requested_model, route), session_id, project,
                   uncached_input_tokens, output_tokens, cache_write_5m_tokens + cache_write_1h_tokens, cache_read_tokens, cost_nanos
            FROM ledger ORDER BY started_at, id;
            """;
        using var r = query.ExecuteReader();
        var models = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read())
        {
            var at = StoredRows.ParseTime(r.GetString(0));
            var model = r.GetString(1);
            if (models.TryGetValue(model, out var interned)) model = interned; else models[model] = model;
            yield return new PricedUsage(at.ToUnixTimeMilliseconds(), model, r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), NanoUsd.ToUsd(r.GetInt64(8)));
        }
    }
}
