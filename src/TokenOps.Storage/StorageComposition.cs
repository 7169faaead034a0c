namespace TokenOps.Storage;

/// <summary>Which backends this build can compose. A backend is added here when its implementation is registered.</summary>
public static class StorageComposition
{
    public static bool IsAvailable(string kind) => kind == StorageKinds.Sqlite;

    /// <summary>Shared Redis budget counters: not in this build yet.</summary>
    public static bool RedisAvailable => false;

    public static string DisplayName(string kind) => kind switch
    {
        StorageKinds.Sqlite => "SQLite",
        StorageKinds.Postgres => "PostgreSQL",
        _ => kind,
    };
}
