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
        var existingTeam = Scalar(connection, tx, "SELECT team FROM people WHERE name = $person;", ("$person", person)) as string;
        if (existingTeam is not null && existingTeam != team)
            throw new InvalidOperationException($"person '{person}' already belongs to team '{existingTeam}', not '{team}'");
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
        return Query(connection, "WHERE k.key_hash = $hash", ("$hash", VirtualKeyFormat.Hash(secret))).FirstOrDefault();
    }

    /// <summary>The key with this id (revoked or not), or null.</summary>
    public VirtualKey? FindById(string id)
    {
        using var connection = database.Open();
        return Query(connection, "WHERE k.id = $id", ("$id", id)).FirstOrDefault();
    }

    public IReadOnlyList<VirtualKey> List()
    {
        using var connection = database.Open();
        return Query(connection, "ORDER BY k.created_at, k.id");
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
        cmd.CommandText = "SELECT name, team FROM people ORDER BY team, name;";
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

    private static List<VirtualKey> Query(SqliteConnection connection, string tail, params (string, object)[] args)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT k.id, k.person, p.team, k.display_prefix, k.created_at, k.revoked_at, k.kind, k.owner FROM keys k JOIN people p ON p.name = k.person " + tail + ";";
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        using var r = cmd.ExecuteReader();
        var list = new List<VirtualKey>();
        while (r.Read())
            list.Add(new VirtualKey(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Parse(r.GetString(4)),
                r.IsDBNull(5) ? null : Parse(r.GetString(5))) { Kind = r.GetString(6), Owner = r.IsDBNull(7) ? null : r.GetString(7) });
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
