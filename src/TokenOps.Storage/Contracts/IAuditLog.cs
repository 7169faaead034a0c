using TokenOps.Core.Audit;

namespace TokenOps.Storage;

/// <summary>
/// The append-only audit trail. <see cref="Append"/> links the entry to the last one (seq, previous hash, hash) in one
/// serialised transaction, so concurrent writers on several replicas still make one chain; the database refuses
/// UPDATE and DELETE on it.
/// </summary>
public interface IAuditLog
{
    AuditEntry Append(AuditEntry entry);

    /// <summary>Entries in chain order, from <paramref name="since"/> (inclusive) when given.</summary>
    IReadOnlyList<AuditEntry> Read(DateTimeOffset? since = null);
}
