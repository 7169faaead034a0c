using System.Data.Common;
using System.Globalization;
using TokenOps.Core.Budgets;
using TokenOps.Core.Forecasting;
using TokenOps.Core.Poker;
using TokenOps.Core.Pricing;

namespace TokenOps.Storage.Sql;

/// <summary>Ledger reads for forecasts and token poker, the same SQL on every backend: daily spend per budget scope, and each person's week.</summary>
public abstract class SqlSpendQueries(SqlDialect dialect, IRollupQueries rollups) : ISpendQueries
{
    /// <summary>An open connection to the backend's database.</summary>
    protected abstract DbConnection Open();

    /// <summary>
    /// Spend per UTC day, for the whole days covering [from, until), in a budget's scope: a person, team or project by
    /// name, or the whole organisation. Read from the daily rollups (the alert loop asks for weeks of history every
    /// minute; a ledger scan would read every request of those weeks). Days without spend are absent (the forecaster
    /// counts them as 0).
    /// </summary>
    public IReadOnlyList<DailySpend> Daily(BudgetLevel level, string name, DateTimeOffset from, DateTimeOffset until)
    {
        static DateTimeOffset Day(DateTimeOffset t, bool up)
        {
            var day = new DateTimeOffset(t.UtcDateTime.Date, TimeSpan.Zero);
            return up && day < t ? day.AddDays(1) : day;
        }

        var filter = new RollupFilter(Day(from, up: false), Day(until, up: true))
        {
            Person = level == BudgetLevel.Person ? name : null,
            Team = level == BudgetLevel.Team ? name : null,
            Project = level == BudgetLevel.Project ? name : null,
        };
        return rollups.Group(filter, RollupDimension.Bucket)
            .Where(r => r.CostNanos != 0)
            .Select(r => new DailySpend(DateOnly.ParseExact(r.Key, "yyyy-MM-dd", CultureInfo.InvariantCulture), NanoUsd.ToUsd(r.CostNanos)))
            .ToList();
    }

    /// <summary>
    /// The series the forecaster needs at <paramref name="now"/>: the lookback window's days, plus a zero day just before
    /// it when the scope spent earlier, so that quiet weeks count as zeros rather than as a short history. Only the
    /// window is scanned; the earlier spend is an indexed existence check.
    /// </summary>
    public IReadOnlyList<DailySpend> ForecastSeries(BudgetLevel level, string name, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var windowStart = today.AddDays(-BurnRate.DefaultLookbackDays);
        var from = new DateTimeOffset(windowStart.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var days = Daily(level, name, from, now.AddDays(1)).ToList();
        var filter = Filter(level);
        using var connection = Open();
        using var earlier = connection.CreateCommand();
        earlier.CommandText = $"SELECT EXISTS (SELECT 1 FROM ledger WHERE started_at < @from {filter});";
        SqlDialect.Parameter(earlier, "from", StoredRows.Time(from));
        if (filter.Length > 0) SqlDialect.Parameter(earlier, "name", name);
        // SQLite answers 0/1, PostgreSQL a boolean.
        if (Convert.ToBoolean(earlier.ExecuteScalar(), CultureInfo.InvariantCulture)) days.Insert(0, new DailySpend(windowStart.AddDays(-1), 0m));
        return days;
    }

    private static string Filter(BudgetLevel level) => level switch
    {
        BudgetLevel.Person => "AND person = @name",
        BudgetLevel.Team => "AND team = @name",
        BudgetLevel.Project => "AND project = @name",
        _ => "",
    };

    /// <summary>
    /// Models priced by the family fallback in [from, until), from the partial index on flagged rows (a handful, where
    /// a scan would read every request of the window).
    /// </summary>
    public IReadOnlyList<EstimatedPriceUse> EstimatedPrices(DateTimeOffset from, DateTimeOffset until)
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = $"""
            SELECT COALESCE(served_model, requested_model, ''), COUNT(*), {dialect.Sum("cost_nanos")}, MAX(started_at)
            FROM ledger{dialect.IndexHint("ledger_price_estimated")} WHERE price_estimated AND started_at >= @from AND started_at < @until
            GROUP BY COALESCE(served_model, requested_model, '');
            """;
        SqlDialect.Parameter(query, "from", StoredRows.Time(from));
        SqlDialect.Parameter(query, "until", StoredRows.Time(until));
        var uses = new List<EstimatedPriceUse>();
        using var reader = query.ExecuteReader();
        while (reader.Read())
            uses.Add(new EstimatedPriceUse(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), StoredRows.ParseTime(reader.GetString(3))));
        return uses.OrderByDescending(u => u.CostNanos).ThenBy(u => u.Model, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Every person's activity in [from, until): people with keys (at zero when idle) and anyone in the ledger.
    /// Requests count LLM requests only (rows with a model; not models lists or poker views); successful ones ended Ok with 2xx.
    /// A person's team is the key's; for someone without a key, the greatest team of their rows in byte order.
    /// </summary>
    public IReadOnlyList<PokerActivity> PokerWeek(DateTimeOffset from, DateTimeOffset until)
    {
        using var connection = Open();
        var players = new Dictionary<string, PokerActivity>(StringComparer.Ordinal);
        using (var people = connection.CreateCommand())
        {
            people.CommandText = "SELECT name, team FROM people;";
            using var reader = people.ExecuteReader();
            while (reader.Read()) players[reader.GetString(0)] = new PokerActivity(reader.GetString(0), reader.GetString(1), 0m, 0, 0);
        }
        using (var query = connection.CreateCommand())
        {
            query.CommandText = $"""
                SELECT person, MAX({dialect.ByteOrder("team")}), {dialect.Sum("cost_nanos")},
                       {dialect.Sum("CASE WHEN requested_model IS NOT NULL THEN 1 ELSE 0 END")},
                       {dialect.Sum("CASE WHEN requested_model IS NOT NULL AND outcome = 'Ok' AND status BETWEEN 200 AND 299 THEN 1 ELSE 0 END")}
                FROM ledger WHERE person IS NOT NULL AND started_at >= @from AND started_at < @until GROUP BY person;
                """;
            SqlDialect.Parameter(query, "from", StoredRows.Time(from));
            SqlDialect.Parameter(query, "until", StoredRows.Time(until));
            using var reader = query.ExecuteReader();
            while (reader.Read())
            {
                var person = reader.GetString(0);
                var team = players.TryGetValue(person, out var known) ? known.Team : reader.IsDBNull(1) ? null : reader.GetString(1);
                players[person] = new PokerActivity(person, team, NanoUsd.ToUsd(reader.GetInt64(2)), reader.GetInt64(3), reader.GetInt64(4));
            }
        }
        return players.Values.OrderBy(p => p.Person, StringComparer.Ordinal).ToList();
    }
}
