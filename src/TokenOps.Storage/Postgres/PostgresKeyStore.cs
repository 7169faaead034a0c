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
    private const string Select =
        "SELECT k.id, k.person, p.team, k.display_prefix, k.created_at, k.revoked_at, k.kind, k.owner FROM keys k JOIN people p ON p.name = k.person ";

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
        using (var find = new NpgsqlCommand("SELECT team FROM people WHERE name = $1;", connection, tx))
        {
            find.Parameters.Add(Text(person));
            existingTeam = find.ExecuteScalar() as string;
        }
        if (existingTeam is not null && existingTeam != team)
            throw new InvalidOperationException($"person '{person}' already belongs to team '{existingTeam}', not '{team}'");
        Execute(connection, tx, "INSERT INTO keys(id, key_hash, display_prefix, person, created_at, kind, owner) VALUES ($1, $2, $3, $4, $5, $6, $7);",
            key.Id, VirtualKeyFormat.Hash(secret), key.DisplayPrefix, person, Iso(now), kind, owner);
        tx.Commit();
        return (key, secret);
    }

    /// <summary>The key whose clear text is <paramref name="secret"/> (revoked or not: callers check), or null.</summary>
    public VirtualKey? FindBySecret(string secret)
    {
        using var connection = database.Open();
        return Query(connection, "WHERE k.key_hash = $1", VirtualKeyFormat.Hash(secret)).FirstOrDefault();
    }

    /// <summary>The key with this id (revoked or not), or null.</summary>
    public VirtualKey? FindById(string id)
    {
        using var connection = database.Open();
        return Query(connection, "WHERE k.id = $1", id).FirstOrDefault();
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
        using var cmd = new NpgsqlCommand("SELECT name, team FROM people ORDER BY team COLLATE \"C\", name COLLATE \"C\";", connection);
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

    private static List<VirtualKey> Query(NpgsqlConnection connection, string tail, params string[] args)
    {
        using var cmd = new NpgsqlCommand(Select + tail + ";", connection);
        foreach (var value in args) cmd.Parameters.Add(Text(value));
        using var r = cmd.ExecuteReader();
        var list = new List<VirtualKey>();
        while (r.Read())
            list.Add(new VirtualKey(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Parse(r.GetString(4)),
                r.IsDBNull(5) ? null : Parse(r.GetString(5))) { Kind = r.GetString(6), Owner = r.IsDBNull(7) ? null : r.GetString(7) });
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
