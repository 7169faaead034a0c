namespace TokenOps.Storage;

/// <summary>Whether the database answers now (for /healthz): one bounded round trip, never an exception.</summary>
public interface IStorageProbe
{
    /// <summary>The backend's name for people ("SQLite", "PostgreSQL"): never a path or a connection string.</summary>
    string Backend { get; }

    /// <summary>True when a connection opens and answers <c>SELECT 1</c> within <paramref name="timeout"/>.</summary>
    Task<bool> ReachableAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
