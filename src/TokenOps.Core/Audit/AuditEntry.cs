using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TokenOps.Core.Audit;

/// <summary>
/// One change to what governs spend (keys, people, teams, budgets, prices, outcomes, admin credentials): who made it,
/// when, from where, and the value before and after (JSON, never a secret). Entries form a chain: each holds the hash
/// of the one before, so editing or removing an entry breaks every hash after it (<see cref="AuditChain.Verify"/>).
/// </summary>
public sealed record AuditEntry
{
    public long Seq { get; init; }
    public required DateTimeOffset At { get; init; }
    /// <summary>Who: "cli:ada@laptop", "admin-token", "admin:ops-bot", "dashboard:ada".</summary>
    public required string Actor { get; init; }
    /// <summary>From where: a client address, or the host a CLI ran on.</summary>
    public required string Origin { get; init; }
    /// <summary>What: "keys.create", "keys.revoke", "budgets.set", "budgets.delete", "prices.update", "outcomes.add", ...</summary>
    public required string Action { get; init; }
    /// <summary>On what: "key:key_123", "budget:team:payments", "person:ada", "catalog".</summary>
    public required string Subject { get; init; }
    public string? Before { get; init; }
    public string? After { get; init; }
    public string PrevHash { get; init; } = AuditChain.Genesis;
    public string Hash { get; init; } = "";
}

/// <summary>The hash chain of the audit trail: SHA-256 over the previous hash and every field, length-prefixed.</summary>
public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string HashOf(AuditEntry e)
    {
        var text = new StringBuilder();
        foreach (var field in new[]
        {
            e.PrevHash, e.Seq.ToString(CultureInfo.InvariantCulture), e.At.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            e.Actor, e.Origin, e.Action, e.Subject, e.Before ?? "\u0000", e.After ?? "\u0000",
        })
        {
            // Length-prefixed: no choice of field values can make two different entries hash the same text.
            text.Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append('|');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Links <paramref name="entry"/> after <paramref name="previous"/> (null: the first entry).</summary>
    public static AuditEntry Link(AuditEntry entry, AuditEntry? previous)
    {
        var linked = entry with { Seq = (previous?.Seq ?? 0) + 1, PrevHash = previous?.Hash ?? Genesis };
        return linked with { Hash = HashOf(linked) };
    }

    /// <summary>The first entry whose link or hash does not hold (tampered, removed or reordered), or null when the chain is whole.</summary>
    public static AuditBreak? Verify(IEnumerable<AuditEntry> entries)
    {
        string previous = Genesis;
        long expected = 1;
        foreach (var e in entries)
        {
            if (e.Seq != expected) return new AuditBreak(e.Seq, $"entry {expected} is missing (the next one is {e.Seq})");
            if (e.PrevHash != previous) return new AuditBreak(e.Seq, "does not link to the entry before it");
            if (HashOf(e) != e.Hash) return new AuditBreak(e.Seq, "its content does not match its hash (edited after it was written)");
            previous = e.Hash;
            expected++;
        }
        return null;
    }
}

public sealed record AuditBreak(long Seq, string Reason);

/// <summary>
/// Who is making changes in this flow of execution: set once by the CLI for its process, and per request by the admin
/// API and dashboard, so the stores' auditing wrappers can name the actor without every call passing it along.
/// </summary>
public static class AuditActor
{
    private static readonly AsyncLocal<(string Actor, string Origin)?> Current = new();
    private static (string Actor, string Origin)? _process;

    public static (string Actor, string Origin) Who => Current.Value ?? _process ?? ("unknown", "unknown");

    /// <summary>The actor for the whole process (the CLI: the OS user on this host).</summary>
    public static void ForProcess(string actor, string origin) => _process = (actor, origin);

    /// <summary>The actor for the current request (async flow).</summary>
    public static void ForRequest(string actor, string origin) => Current.Value = (actor, origin);
}
