using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Pricing;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Postgres;

/// <summary>
/// Outcomes in PostgreSQL, behaving exactly as <see cref="SqliteOutcomeStore"/> (the shared conformance suite checks
/// it): idempotent on the outcome id (<c>ON CONFLICT DO NOTHING</c>, so concurrent adds of one id store it once and
/// only one of them sees it as new), plus webhook delivery ids (a replayed delivery is recognised). The outcome and its
/// delivery id are written in one transaction.
/// </summary>
public sealed class PostgresOutcomeStore(PostgresDatabase database, TimeProvider time) : IOutcomeStore
{
    private const string Columns = "source, source_id, type, title, person, team, project, repository, branch, key, started_at, completed_at, value_nanos";

    /// <summary>SQLite's NOCASE folds ASCII letters only: the same folding here (lower() would fold every script).</summary>
    private const string Ascii = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'";

    /// <summary>Adds the outcome unless one with its id exists; returns true when it was new. An existing outcome is never changed.</summary>
    public bool Add(Outcome outcome, string? deliveryId = null)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using var insert = new NpgsqlCommand(
            $"INSERT INTO outcomes (id, {Columns}, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) " +
            "ON CONFLICT (id) DO NOTHING;", connection, tx);
        insert.Parameters.Add(Text(outcome.Id));
        insert.Parameters.Add(Text(outcome.Source));
        insert.Parameters.Add(Text(outcome.SourceId));
        insert.Parameters.Add(Text(OutcomeTypes.Name(outcome.Type)));
        insert.Parameters.Add(Text(outcome.Title));
        insert.Parameters.Add(Text(outcome.Person));
        insert.Parameters.Add(Text(outcome.Team));
        insert.Parameters.Add(Text(outcome.Project));
        insert.Parameters.Add(Text(outcome.Repository));
        insert.Parameters.Add(Text(outcome.Branch));
        insert.Parameters.Add(Text(outcome.Key));
        insert.Parameters.Add(Text(outcome.StartedAt is { } s ? Time(s) : null));
        insert.Parameters.Add(Text(Time(outcome.CompletedAt)));
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = outcome.ValueUsd is { } v ? NanoUsd.FromUsd(v) : DBNull.Value });
        insert.Parameters.Add(Text(Time(time.GetUtcNow())));
        var added = insert.ExecuteNonQuery() == 1;
        if (deliveryId is not null) RecordDelivery(connection, tx, deliveryId, outcome.Id);
        tx.Commit();
        return added;
    }

    /// <summary>True when this webhook delivery id was already processed.</summary>
    public bool SeenDelivery(string deliveryId)
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM outcome_deliveries WHERE id = $1);", connection);
        query.Parameters.Add(Text(deliveryId));
        return (bool)query.ExecuteScalar()!;
    }

    /// <summary>Records a delivery that produced no outcome (ignored event), so its replay is recognised too.</summary>
    public void RecordDelivery(string deliveryId)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        RecordDelivery(connection, tx, deliveryId, null);
        tx.Commit();
    }

    private void RecordDelivery(NpgsqlConnection connection, NpgsqlTransaction tx, string deliveryId, string? outcomeId)
    {
        using var insert = new NpgsqlCommand(
            "INSERT INTO outcome_deliveries (id, outcome_id, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING;", connection, tx);
        insert.Parameters.Add(Text(deliveryId));
        insert.Parameters.Add(Text(outcomeId));
        insert.Parameters.Add(Text(Time(time.GetUtcNow())));
        insert.ExecuteNonQuery();
    }

    public Outcome? Find(string id)
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand($"SELECT {Columns} FROM outcomes WHERE id = $1;", connection);
        query.Parameters.Add(Text(id));
        using var reader = query.ExecuteReader();
        return reader.Read() ? StoredRows.Outcome(reader) : null;
    }

    /// <summary>Outcomes completed in [since, until), oldest first.</summary>
    public IReadOnlyList<Outcome> List(DateTimeOffset? since = null, DateTimeOffset? until = null, string? person = null)
    {
        using var connection = database.Open();
        // Ties on completed_at go by id in byte order, as SQLite's BINARY collation does (not the database's locale).
        using var query = new NpgsqlCommand($"SELECT {Columns} FROM outcomes WHERE completed_at >= $1 AND completed_at < $2" +
            (person is null ? "" : $" AND translate(person, {Ascii}) = translate($3, {Ascii})") + " ORDER BY completed_at, id COLLATE \"C\";", connection);
        query.Parameters.Add(Text(Time(since ?? DateTimeOffset.MinValue)));
        query.Parameters.Add(Text(Time(until ?? DateTimeOffset.MaxValue)));
        if (person is not null) query.Parameters.Add(Text(person));
        using var reader = query.ExecuteReader();
        var rows = new List<Outcome>();
        while (reader.Read()) rows.Add(StoredRows.Outcome(reader));
        return rows;
    }

    public long Count()
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand("SELECT COUNT(*) FROM outcomes;", connection);
        return (long)query.ExecuteScalar()!;
    }

    // The fixed-width ISO 8601 UTC text SQLite stores (the columns are text COLLATE "C": byte order is time order).
    internal static string Time(DateTimeOffset t) => StoredRows.Time(t);


    internal static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };
}

/// <summary>
/// Streams the ledger columns outcome linking needs, in time order (then id), one row at a time, as
/// <see cref="SqliteSpendReader"/> does; the connection stays open while the caller enumerates.
/// </summary>
public sealed class PostgresSpendReader(PostgresDatabase database) : ISpendReader
{
    public IEnumerable<SpendRow> Read(DateTimeOffset since, DateTimeOffset until)
    {
        using var connection = database.Open();
        // ledger.id and started_at are COLLATE "C": byte order, as SQLite's.
        using var query = new NpgsqlCommand("SELECT id, started_at, person, team, project, feature, ticket, pull_request, tags, cost_nanos FROM ledger " +
            "WHERE started_at >= $1 AND started_at < $2 ORDER BY started_at, id;", connection);
        query.Parameters.Add(PostgresOutcomeStore.Text(PostgresOutcomeStore.Time(since)));
        query.Parameters.Add(PostgresOutcomeStore.Text(PostgresOutcomeStore.Time(until)));
        using var reader = query.ExecuteReader();
        while (reader.Read())
            yield return StoredRows.Spend(reader);
    }
}
