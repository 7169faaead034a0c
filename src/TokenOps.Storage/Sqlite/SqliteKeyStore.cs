using System.Globalization;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Identity;

namespace TokenOps.Storage.Sqlite;

/// <summary>Teams, people and their virtual keys. Keys are stored only as SHA-256 hashes.</summary>
public sealed class SqliteKeyStore(SqliteDatabase database, TimeProvider time) : IKeyStore
{
    /// <summary>Creates a key for a person (creating the person and team if new); returns the record and the clear key, shown once.</summary>
    public (VirtualKey Key, string Secret) Create(string person, string team, string kind = KeyKinds.Person, string? owner = null)
    {
        var now = time.GetUtcNow();
        var (key, secret) = NewKeys.For(person, team, now, kind, owner);
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, "INSERT OR IGNORE INTO teams(name, created_at) VALUES ($team, $now);", ("$team", team), ("$now", Iso(now)));
        var existingTeam = Scalar(connection, tx, $"SELECT {TeamNow("people.name", "people.team")} FROM people WHERE name = $person;", ("$person", person), ("$now", Iso(now))) as string;
        if (existingTeam is not null && existingTeam != team)
            throw new InvalidOperationException(KeyStoreMessages.OtherTeam(person, existingTeam, team));
        Execute(connection, tx, "INSERT OR IGNORE INTO people(name, team, created_at) VALUES ($person, $team, $now);",
            ("$person", person), ("$team", team), ("$now", Iso(now)));
        Execute(connection, tx, "INSERT INTO keys(id, key_hash, display_prefix, person, created_at, kind, owner) VALUES ($id, $hash, $display, $person, $now, $kind, $owner);",
            ("$id", key.Id), ("$hash", VirtualKeyFormat.Hash(secret)), ("$display", key.DisplayPrefix), ("$person", person), ("$now", Iso(now)),
            ("$kind", kind), ("$owner", (object?)owner ?? DBNull.Value));
        tx.Commit();
        return (key, secret);
    }

    public VirtualKey? FindBySecret(string secret)
    {
        using var connection = database.Open();
        return Query(connection, "WHERE k.key_hash = $hash", ("$hash", VirtualKeyFormat.Hash(secret)), ("$now", Iso(time.GetUtcNow()))).FirstOrDefault();
    }

    /// <summary>The key with this id (revoked or not), or null.</summary>
    public VirtualKey? FindById(string id)
    {
        using var connection = database.Open();
        return Query(connection, "WHERE k.id = $id", ("$id", id), ("$now", Iso(time.GetUtcNow()))).FirstOrDefault();
    }

    public IReadOnlyList<VirtualKey> List()
    {
        using var connection = database.Open();
        return Query(connection, "ORDER BY k.created_at, k.id", ("$now", Iso(time.GetUtcNow())));
    }

    /// <summary>Revokes a key; false when no such key exists.</summary>
    public bool Revoke(string id)
    {
        using var connection = database.Open();
        return Execute(connection, null, "UPDATE keys SET revoked_at = COALESCE(revoked_at, $now) WHERE id = $id;",
            ("$id", id), ("$now", Iso(time.GetUtcNow()))) > 0;
    }

    public IReadOnlyList<(string Name, string Team)> People()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT name, team FROM (SELECT name, {TeamNow("people.name", "people.team")} AS team FROM people) ORDER BY team, name;";
        cmd.Parameters.AddWithValue("$now", Iso(time.GetUtcNow()));
        using var r = cmd.ExecuteReader();
        var list = new List<(string, string)>();
        while (r.Read()) list.Add((r.GetString(0), r.GetString(1)));
        return list;
    }

    public IReadOnlyList<string> Teams()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name FROM teams ORDER BY name;";
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    public bool SetLimits(string id, DateTimeOffset? expiresAt, ModelAllowList? models)
    {
        using var connection = database.Open();
        return Execute(connection, null, "UPDATE keys SET expires_at = $expires, models = $models WHERE id = $id;", ("$id", id),
            ("$expires", expiresAt is { } e ? Iso(e) : DBNull.Value), ("$models", (object?)models?.ToString() ?? DBNull.Value)) > 0;
    }

    public (VirtualKey Key, string Secret)? Rotate(string id, DateTimeOffset oldExpiresAt)
    {
        var now = time.GetUtcNow();
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var old = Query(connection, tx, "WHERE k.id = $id", ("$id", id), ("$now", Iso(now))).FirstOrDefault();
        if (old is null || old.IsRevoked) return null;
        var (key, secret) = NewKeys.Successor(old, now);
        Execute(connection, tx, "INSERT INTO keys(id, key_hash, display_prefix, person, created_at, kind, owner, expires_at, models) " +
            "VALUES ($id, $hash, $display, $person, $now, $kind, $owner, $expires, $models);",
            ("$id", key.Id), ("$hash", VirtualKeyFormat.Hash(secret)), ("$display", key.DisplayPrefix), ("$person", key.Person), ("$now", Iso(now)),
            ("$kind", key.Kind), ("$owner", (object?)key.Owner ?? DBNull.Value), ("$expires", key.ExpiresAt is { } e ? Iso(e) : DBNull.Value),
            ("$models", (object?)key.Models?.ToString() ?? DBNull.Value));
        var until = NewKeys.OverlapEnd(old, oldExpiresAt);
        Execute(connection, tx, "UPDATE keys SET expires_at = $until, rotated_to = $new WHERE id = $id;", ("$id", id), ("$until", Iso(until)), ("$new", key.Id));
        tx.Commit();
        return (key with { Team = old.Team }, secret);
    }

    public void MarkUsed(IReadOnlyList<(string KeyId, DateTimeOffset At)> uses)
    {
        if (uses.Count == 0) return;
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        foreach (var (keyId, at) in uses)
            Execute(connection, tx, "UPDATE keys SET last_used_at = $at WHERE id = $id AND (last_used_at IS NULL OR last_used_at < $at);", ("$id", keyId), ("$at", Iso(at)));
        tx.Commit();
    }

    public void MoveTeam(string person, string team, DateTimeOffset from)
    {
        Names.Check("team", team);
        var now = time.GetUtcNow();
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        if (Scalar(connection, tx, "SELECT 1 FROM people WHERE name = $person;", ("$person", person)) is null)
            throw new InvalidOperationException(KeyStoreMessages.UnknownPerson(person));
        Execute(connection, tx, "INSERT OR IGNORE INTO teams(name, created_at) VALUES ($team, $now);", ("$team", team), ("$now", Iso(now)));
        Execute(connection, tx, "INSERT INTO team_moves(person, team, effective_from, created_at) VALUES ($person, $team, $from, $now) " +
            "ON CONFLICT (person, effective_from) DO UPDATE SET team = excluded.team, created_at = excluded.created_at;",
            ("$person", person), ("$team", team), ("$from", Iso(from)), ("$now", Iso(now)));
        tx.Commit();
    }

    public IReadOnlyList<TeamMove> TeamMoves(string person)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT person, team, effective_from FROM team_moves WHERE person = $person ORDER BY effective_from;";
        cmd.Parameters.AddWithValue("$person", person);
        using var r = cmd.ExecuteReader();
        var list = new List<TeamMove>();
        while (r.Read()) list.Add(new TeamMove(r.GetString(0), r.GetString(1), Parse(r.GetString(2))));
        return list;
    }

    /// <summary>The team a person is in at $now: their latest move that took effect, else the team they were added to.</summary>
    private static string TeamNow(string person, string team) =>
        $"COALESCE((SELECT m.team FROM team_moves m WHERE m.person = {person} AND m.effective_from <= $now ORDER BY m.effective_from DESC LIMIT 1), {team})";

    private static List<VirtualKey> Query(SqliteConnection connection, string tail, params (string, object)[] args) => Query(connection, null, tail, args);

    private static List<VirtualKey> Query(SqliteConnection connection, SqliteTransaction? tx, string tail, params (string, object)[] args)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT k.id, k.person, {TeamNow("k.person", "p.team")}, k.display_prefix, k.created_at, k.revoked_at, k.kind, k.owner, " +
            "k.expires_at, k.models, k.last_used_at, k.rotated_to FROM keys k JOIN people p ON p.name = k.person " + tail + ";";
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        using var r = cmd.ExecuteReader();
        var list = new List<VirtualKey>();
        while (r.Read()) list.Add(StoredRows.Key(r));
        return list;
    }

    private static int Execute(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection c, SqliteTransaction tx, string sql, params (string, object)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return cmd.ExecuteScalar();
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
    private static DateTimeOffset Parse(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
