namespace TokenOps.Storage;

/// <summary>
/// tokenops.json "storage": which backend holds the ledger and the gateway's state. <c>sqlite</c> (the default) keeps
/// everything in the data directory; <c>postgres</c> reads its connection string from an environment variable or a
/// file (never from tokenops.json itself, so it cannot end up in a log, an error or a config dump).
/// </summary>
public sealed class StorageOptions
{
    /// <summary>One of <see cref="StorageKinds"/>.</summary>
    public string Kind { get; set; } = StorageKinds.Sqlite;

    /// <summary>Environment variable holding the connection string (postgres).</summary>
    public string? ConnectionStringEnv { get; set; }

    /// <summary>File holding the connection string (postgres), for example a mounted secret.</summary>
    public string? ConnectionStringFile { get; set; }

    /// <summary>
    /// The connection string from <see cref="ConnectionStringEnv"/> or <see cref="ConnectionStringFile"/>, or null when
    /// neither gives one. A secret: hand it to the backend and keep it out of logs, messages and objects that print.
    /// </summary>
    public string? ReadConnectionString() => ConnectionStrings.Read(ConnectionStringEnv, ConnectionStringFile);
}

/// <summary>Reads a connection string from an environment variable or a file (storage, redis): the one rule for both.</summary>
public static class ConnectionStrings
{
    /// <summary>The variable's value when set and not empty, else the file's trimmed content when it exists, else null.</summary>
    public static string? Read(string? env, string? file)
    {
        if (env is not null && Environment.GetEnvironmentVariable(env) is { Length: > 0 } value) return value;
        if (file is not null && File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } text) return text;
        return null;
    }
}

/// <summary>The storage backends tokenops.json may name.</summary>
public static class StorageKinds
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static readonly IReadOnlyList<string> All = [Sqlite, Postgres];
}

/// <summary>
/// tokenops.json "redis": shared budget counters for a fleet of gateways. The connection string comes from an
/// environment variable or a file. <see cref="OnFailure"/> says what a gateway does while Redis is unreachable.
/// </summary>
public sealed class RedisOptions
{
    public string? ConnectionStringEnv { get; set; }
    public string? ConnectionStringFile { get; set; }

    /// <summary><c>fail-closed</c> (default: refuse requests that budgets would have to admit) or <c>fail-open</c>.</summary>
    public string OnFailure { get; set; } = RedisFailureModes.FailClosed;
}

public static class RedisFailureModes
{
    public const string FailClosed = "fail-closed";
    public const string FailOpen = "fail-open";
}
