using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using TokenOps.Core.Identity;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Postgres;

/// <summary>
/// Teams, people and their virtual keys in PostgreSQL, behaving exactly as <see cref="SqliteKeyStore"/> (the shared
/// conformance suite checks it): keys are stored only as SHA-256 hashes, names pass the shared <see cref="Names"/> rule,
/// a person belongs to one team, and times are the same fixed ISO 8601 UTC text. Lists sort in the "C" collation
/// (byte order), as SQLite's BINARY does, whatever the database's locale.
/// </summary>
public sealed class PostgresKeyStore(PostgresDatabase database, TimeProvider time) : IKeyStore
{
    /// <summary>The team a person is in at $now ($1 in every query that uses it): their latest move that took effect, else the team they were added to.</summary>
    private static string TeamNow(string person, string team) =>
        $"COALESCE((SELECT m.team FROM team_moves m WHERE m.person = {person} AND m.effective_from <= $1 ORDER BY m.effective_from DESC LIMIT 1), {team})";

    private static readonly string Select =
        $"SELECT k.id, k.person, {TeamNow("k.person", "p.team")}, k.display_prefix, k.created_at, k.revoked_at, k.kind, k.owner, " +
        "k.expires_at, k.models, k.last_used_at, k.rotated_to FROM keys k JOIN people p ON p.name = k.person ";

    /// <summary>Creates a key for a person (creating the person and team if new); returns the record and the clear key, shown once.</summary>
    public (VirtualKey Key, string Secret) Create(string person, string team, string kind = KeyKinds.Person, string? owner = null)
    {
        var now = time.GetUtcNow();
        var (key, secret) = NewKeys.For(person, team, now, kind, owner);
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, "INSERT INTO teams(name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;", team, Iso(now));
        // Insert first, then read: a concurrent creator of the same new person has committed (or rolled back) by the
        // time ON CONFLICT returns, so the read sees the one row that won, and a second team for one person is refused.
        Execute(connection, tx, "INSERT INTO people(name, team, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING;",
            person, team, Iso(now));
        string? existingTeam;
        using (var find = new NpgsqlCommand($"SELECT {TeamNow("people.name", "people.team")} FROM people WHERE name = $2;", connection, tx))
        {
            find.Parameters.Add(Text(Iso(now)));
            find.Parameters.Add(Text(person));
            existingTeam = find.ExecuteScalar() as string;
        }
        if (existingTeam is not null && existingTeam != team)
            throw new InvalidOperationException(KeyStoreMessages.OtherTeam(person, existingTeam, team));
        Execute(connection, tx, "INSERT INTO keys(id, key_hash, display_prefix, person, created_at, kind, owner) VALUES ($1, $2, $3, $4, $5, $6, $7);",
            key.Id, VirtualKeyFormat.Hash(secret), key.DisplayPrefix, person, Iso(now), kind, owner);
        tx.Commit();
        return (key, secret);
    }

    /// <summary>The key whose clear text is <paramref name="secret"/> (revoked or not: callers check), or null.</summary>
    public VirtualKey? FindBySecret(string secret)
    {
        using var connection = database.Open();
        return Query(connection, "WHERE k.key_hash = $2", VirtualKeyFormat.Hash(secret)).FirstOrDefault();
    }

    /// <summary>The key with this id (revoked or not), or null.</summary>
    public VirtualKey? FindById(string id)
    {
        using var connection = database.Open();
        return Query(connection, "WHERE k.id = $2", id).FirstOrDefault();
    }

    public IReadOnlyList<VirtualKey> List()
    {
        using var connection = database.Open();
        return Query(connection, "ORDER BY k.created_at, k.id COLLATE \"C\"");
    }

    /// <summary>Revokes a key (a revoked key keeps its first revocation time); false when no such key exists.</summary>
    public bool Revoke(string id)
    {
        using var connection = database.Open();
        return Execute(connection, null, "UPDATE keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1;",
            id, Iso(time.GetUtcNow())) > 0;
    }

    public IReadOnlyList<(string Name, string Team)> People()
    {
        using var connection = database.Open();
        using var cmd = new NpgsqlCommand($"SELECT name, team FROM (SELECT name, {TeamNow("people.name", "people.team")} AS team FROM people) t " +
            "ORDER BY team COLLATE \"C\", name COLLATE \"C\";", connection);
        cmd.Parameters.Add(Text(Iso(time.GetUtcNow())));
        using var r = cmd.ExecuteReader();
        var list = new List<(string, string)>();
        while (r.Read()) list.Add((r.GetString(0), r.GetString(1)));
        return list;
    }

    public IReadOnlyList<string> Teams()
    {
        using var connection = database.Open();
        using var cmd = new NpgsqlCommand("SELECT name FROM teams ORDER BY name COLLATE \"C\";", connection);
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    public bool SetLimits(string id, DateTimeOffset? expiresAt, ModelAllowList? models)
    {
        using var connection = database.Open();
        return Execute(connection, null, "UPDATE keys SET expires_at = $2, models = $3 WHERE id = $1;", id,
            expiresAt is { } e ? Iso(e) : null, models?.ToString()) > 0;
    }

    public (VirtualKey Key, string Secret)? Rotate(string id, DateTimeOffset oldExpiresAt)
    {
        var now = time.GetUtcNow();
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var old = Query(connection, "WHERE k.id = $2 FOR UPDATE OF k", id, tx).FirstOrDefault();
        if (old is null || old.IsRevoked) return null;
        var (key, secret) = NewKeys.Successor(old, now);
        Execute(connection, tx, "INSERT INTO keys(id, key_hash, display_prefix, person, created_at, kind, owner, expires_at, models) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);",
            key.Id, VirtualKeyFormat.Hash(secret), key.DisplayPrefix, key.Person, Iso(now), key.Kind, key.Owner,
            key.ExpiresAt is { } e ? Iso(e) : null, key.Models?.ToString());
        var until = NewKeys.OverlapEnd(old, oldExpiresAt);
        Execute(connection, tx, "UPDATE keys SET expires_at = $2, rotated_to = $3 WHERE id = $1;", id, Iso(until), key.Id);
        tx.Commit();
        return (key with { Team = old.Team }, secret);
    }

    public void MarkUsed(IReadOnlyList<(string KeyId, DateTimeOffset At)> uses)
    {
        if (uses.Count == 0) return;
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        foreach (var (keyId, at) in uses)
            Execute(connection, tx, "UPDATE keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2);", keyId, Iso(at));
        tx.Commit();
    }

    public void MoveTeam(string person, string team, DateTimeOffset from)
    {
        Names.Check("team", team);
        var now = time.GetUtcNow();
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using (var exists = new NpgsqlCommand("SELECT 1 FROM people WHERE name = $1;", connection, tx))
        {
            exists.Parameters.Add(Text(person));
            if (exists.ExecuteScalar() is null) throw new InvalidOperationException(KeyStoreMessages.UnknownPerson(person));
        }
        Execute(connection, tx, "INSERT INTO teams(name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;", team, Iso(now));
        Execute(connection, tx, "INSERT INTO team_moves(person, team, effective_from, created_at) VALUES ($1, $2, $3, $4) " +
            "ON CONFLICT (person, effective_from) DO UPDATE SET team = excluded.team, created_at = excluded.created_at;", person, team, Iso(from), Iso(now));
        tx.Commit();
    }

    public IReadOnlyList<TeamMove> TeamMoves(string person)
    {
        using var connection = database.Open();
        using var cmd = new NpgsqlCommand("SELECT person, team, effective_from FROM team_moves WHERE person = $1 ORDER BY effective_from;", connection);
        cmd.Parameters.Add(Text(person));
        using var r = cmd.ExecuteReader();
        var list = new List<TeamMove>();
        while (r.Read()) list.Add(new TeamMove(r.GetString(0), r.GetString(1), Parse(r.GetString(2))));
        return list;
    }

    /// <summary>Keys matching <paramref name="tail"/>; $1 is now (for the team), $2 the tail's own parameter if it has one.</summary>
    private List<VirtualKey> Query(NpgsqlConnection connection, string tail, string? arg = null, NpgsqlTransaction? tx = null)
    {
        using var cmd = new NpgsqlCommand(Select + tail + ";", connection, tx);
        cmd.Parameters.Add(Text(Iso(time.GetUtcNow())));
        if (arg is not null) cmd.Parameters.Add(Text(arg));
        using var r = cmd.ExecuteReader();
        var list = new List<VirtualKey>();
        while (r.Read()) list.Add(StoredRows.Key(r));
        return list;
    }

    private static int Execute(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params string?[] args)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var value in args) cmd.Parameters.Add(Text(value));
        return cmd.ExecuteNonQuery();
    }

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
    private static DateTimeOffset Parse(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
