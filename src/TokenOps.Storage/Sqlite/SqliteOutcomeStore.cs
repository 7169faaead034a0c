using System.Globalization;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Pricing;

namespace TokenOps.Storage.Sqlite;

/// <summary>Outcomes in SQLite, idempotent on the outcome id; plus webhook delivery ids (a replayed delivery is recognised).</summary>
public sealed class SqliteOutcomeStore(SqliteDatabase database, TimeProvider time) : IOutcomeStore
{
    private const string Columns = "source, source_id, type, title, person, team, project, repository, branch, key, started_at, completed_at, value_nanos";

    /// <summary>Adds the outcome unless one with its id exists; returns true when it was new. An existing outcome is never changed.</summary>
    public bool Add(Outcome outcome, string? deliveryId = null)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = $"INSERT OR IGNORE INTO outcomes (id, {Columns}, recorded_at) VALUES ($id, $source, $source_id, $type, $title, $person, $team, $project, $repository, $branch, $key, $started_at, $completed_at, $value_nanos, $recorded_at);";
        void Set(string name, object? value) => insert.Parameters.AddWithValue(name, value ?? DBNull.Value);
        Set("$id", outcome.Id); Set("$source", outcome.Source); Set("$source_id", outcome.SourceId); Set("$type", OutcomeTypes.Name(outcome.Type));
        Set("$title", outcome.Title); Set("$person", outcome.Person); Set("$team", outcome.Team); Set("$project", outcome.Project);
        Set("$repository", outcome.Repository); Set("$branch", outcome.Branch); Set("$key", outcome.Key);
        Set("$started_at", outcome.StartedAt is { } s ? Time(s) : null); Set("$completed_at", Time(outcome.CompletedAt));
        Set("$value_nanos", outcome.ValueUsd is { } v ? NanoUsd.FromUsd(v) : null); Set("$recorded_at", Time(time.GetUtcNow()));
        var added = insert.ExecuteNonQuery() == 1;
        if (deliveryId is not null) RecordDelivery(connection, tx, deliveryId, outcome.Id);
        tx.Commit();
        return added;
    }

    /// <summary>True when this webhook delivery id was already processed.</summary>
    public bool SeenDelivery(string deliveryId)
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT COUNT(*) FROM outcome_deliveries WHERE id = $id;";
        query.Parameters.AddWithValue("$id", deliveryId);
        return (long)query.ExecuteScalar()! > 0;
    }

    /// <summary>Records a delivery that produced no outcome (ignored event), so its replay is recognised too.</summary>
    public void RecordDelivery(string deliveryId)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        RecordDelivery(connection, tx, deliveryId, null);
        tx.Commit();
    }

    private void RecordDelivery(SqliteConnection connection, SqliteTransaction tx, string deliveryId, string? outcomeId)
    {
        using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT OR IGNORE INTO outcome_deliveries (id, outcome_id, received_at) VALUES ($id, $outcome, $at);";
        insert.Parameters.AddWithValue("$id", deliveryId);
        insert.Parameters.AddWithValue("$outcome", (object?)outcomeId ?? DBNull.Value);
        insert.Parameters.AddWithValue("$at", Time(time.GetUtcNow()));
        insert.ExecuteNonQuery();
    }

    public Outcome? Find(string id)
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM outcomes WHERE id = $id;";
        query.Parameters.AddWithValue("$id", id);
        using var reader = query.ExecuteReader();
        return reader.Read() ? StoredRows.Outcome(reader) : null;
    }

    /// <summary>Outcomes completed in [since, until), oldest first.</summary>
    public IReadOnlyList<Outcome> List(DateTimeOffset? since = null, DateTimeOffset? until = null, string? person = null)
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM outcomes WHERE completed_at >= $since AND completed_at < $until" +
            (person is null ? "" : " AND person = $person COLLATE NOCASE") + " ORDER BY completed_at, id;";
        query.Parameters.AddWithValue("$since", Time(since ?? DateTimeOffset.MinValue));
        query.Parameters.AddWithValue("$until", Time(until ?? DateTimeOffset.MaxValue));
        if (person is not null) query.Parameters.AddWithValue("$person", person);
        using var reader = query.ExecuteReader();
        var rows = new List<Outcome>();
        while (reader.Read()) rows.Add(StoredRows.Outcome(reader));
        return rows;
    }

    public long Count()
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT COUNT(*) FROM outcomes;";
        return (long)query.ExecuteScalar()!;
    }

    internal static string Time(DateTimeOffset t) => StoredRows.Time(t);

}

/// <summary>Streams the ledger columns outcome linking needs, in time order, one row at a time.</summary>
public sealed class SqliteSpendReader(SqliteDatabase database) : ISpendReader
{
    public IEnumerable<SpendRow> Read(DateTimeOffset since, DateTimeOffset until)
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT id, started_at, person, team, project, feature, ticket, pull_request, tags, cost_nanos FROM ledger " +
            "WHERE started_at >= $since AND started_at < $until ORDER BY started_at, id;";
        query.Parameters.AddWithValue("$since", SqliteOutcomeStore.Time(since));
        query.Parameters.AddWithValue("$until", SqliteOutcomeStore.Time(until));
        using var reader = query.ExecuteReader();
        while (reader.Read())
            yield return StoredRows.Spend(reader);
    }
}
