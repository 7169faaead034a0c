using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Sql;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage;

/// <summary>
/// The one place that composes a storage backend: the gateway calls <see cref="AddTokenOpsStorage"/>, the CLI
/// <see cref="StorageSession.Open"/>; both then see only the contracts in Contracts/. A backend is added here (and in
/// <see cref="IsAvailable"/>) when its implementation exists.
/// </summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers every store contract as a singleton of the backend <paramref name="options"/> names, from one
    /// <see cref="StorageSession"/> (opened at first resolution; the host resolves the ledger writer before it starts,
    /// so the schema is migrated before the first request). Stores read the clock from the registered TimeProvider.
    /// </summary>
    public static IServiceCollection AddTokenOpsStorage(this IServiceCollection services, StorageOptions options, string dataDirectory)
    {
        EnsureAvailable(options);
        services.AddSingleton(sp => StorageSession.Open(options, dataDirectory, sp.GetService<TimeProvider>()));
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Ledger);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Keys);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Budgets);
        services.AddSingleton<ISpendHistory>(sp => sp.GetRequiredService<StorageSession>().Budgets);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Outcomes);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Spend);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Alerts);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().SpendQueries);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Rollups);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Savings);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Explorer);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().ImportState);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Usage);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().WasteRows);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Sessions);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Probe);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().RateLimits);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Audit);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().AdminCredentials);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Retention);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Planning);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Batches);
        // The database's response cache, unless Redis (AddTokenOpsRedisCounters, registered after: the last one wins) shares one across the fleet.
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().ResponseCache);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().SemanticIndex);
        return services;
    }

    /// <summary>
    /// Shared budget counters and rate-limit counters in Redis for a fleet of gateways, when tokenops.json has a "redis" section (else nothing:
    /// each gateway counts in its own process). One multiplexer for the process, connected at first resolution without
    /// failing when Redis is down (calls then fail fast, and the book fails closed or open). The connection string is
    /// read here and handed to the client only: never logged, never in a message.
    /// </summary>
    public static IServiceCollection AddTokenOpsRedisCounters(this IServiceCollection services, RedisOptions? options, TimeSpan? sessionPinLifetime = null)
    {
        if (options is null) return services;
        services.AddSingleton<StackExchange.Redis.IConnectionMultiplexer>(_ => Redis.RedisConnection.Connect(options));
        services.AddSingleton<ISharedBudgetCounters>(sp => new Redis.RedisBudgetCounters(sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>()));
        // Rate limits count in the same Redis, so a fleet shares one count per key, person and team (registered
        // before the gateway's in-process default, which it then replaces).
        services.AddSingleton<TokenOps.Core.RateLimits.IRateLimitCounters>(sp => new Redis.RedisRateLimitCounters(sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>()));
        // Router session pins too: a conversation's turns stay on one model whichever replica serves them.
        services.AddSingleton<TokenOps.Core.Routing.ISessionPins>(sp => new Redis.RedisSessionPins(sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(),
            sessionPinLifetime ?? TimeSpan.FromHours(1)));
        // And the response cache: an answer stored by one replica is a hit on all.
        services.AddSingleton<IResponseCacheStore>(sp => new Redis.RedisResponseCacheStore(sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>()));
        return services;
    }

    /// <summary>True when this build can compose the backend (config validation refuses the others at start).</summary>
    public static bool IsAvailable(string kind) => kind is StorageKinds.Sqlite or StorageKinds.Postgres;

    /// <summary>Shared Redis budget counters (<see cref="AddTokenOpsRedisCounters"/>).</summary>
    public static bool RedisAvailable => true;

    public static string DisplayName(string kind) => kind switch
    {
        StorageKinds.Sqlite => "SQLite",
        StorageKinds.Postgres => "PostgreSQL",
        _ => kind,
    };

    internal static void EnsureAvailable(StorageOptions options)
    {
        // Validation already refuses this with the key named; this guards callers that skip it. Never a silent SQLite.
        if (!IsAvailable(options.Kind))
            throw new NotSupportedException($"storage.kind \"{options.Kind}\": this build has no {DisplayName(options.Kind)} backend yet");
    }
}

/// <summary>
/// Every store of one backend, opened from the storage options: the only place that names the implementations. The
/// gateway registers its properties (<see cref="StorageServiceCollectionExtensions.AddTokenOpsStorage"/>); a CLI
/// command opens one for itself. A new backend adds its branch to <see cref="Open"/>.
/// </summary>
public sealed class StorageSession : IDisposable
{
    private readonly IDisposable _owned;

    // The stores are thin wrappers over the database (nothing opens until a call), so all are created up front: no lazy
    // initialisation to race when the gateway's container resolves several contracts at once.
    private StorageSession(SqliteDatabase database, TimeProvider time)
    {
        var ledger = new SqliteLedgerStore(database);
        _owned = ledger;
        Ledger = ledger;
        Audit = new SqliteAuditLog(database);
        var audit = new Audit.AuditRecorder(Audit, time);
        Keys = new Audit.AuditedKeyStore(new SqliteKeyStore(database, time), audit);
        Budgets = new Audit.AuditedBudgetStore(new SqliteBudgetStore(database, time), audit);
        Outcomes = new Audit.AuditedOutcomeStore(new SqliteOutcomeStore(database, time), audit);
        AdminCredentials = new Audit.AuditedAdminCredentialStore(new SqliteAdminCredentialStore(database, time), audit);
        Retention = new SqliteLedgerRetention(database);
        Spend = new SqliteSpendReader(database);
        Alerts = new SqliteAlertStore(database);
        SpendQueries = new SqliteSpendQueries(database);
        Rollups = new RollupQueries(database);
        Savings = new SqliteSavingsQueries(database);
        Explorer = new LedgerExplorer(database);
        ImportState = new SqliteImportState(database);
        Usage = new SqliteUsageReader(database);
        WasteRows = new SqliteWasteRowReader(database);
        Planning = new SqlitePlanningQueries(database);
        RateLimits = new SqliteRateLimitStore(database, time);
        Sessions = new SqliteSessionStore(database);
        Batches = new SqliteBatchStore(database);
        ResponseCache = new SqliteResponseCacheStore(database);
        SemanticIndex = new SqliteSemanticIndexStore(database);
        Probe = new SqlStorageProbe(StorageServiceCollectionExtensions.DisplayName(StorageKinds.Sqlite), _ => Task.FromResult<DbConnection>(database.Open()));
    }

    private StorageSession(PostgresDatabase database, TimeProvider time)
    {
        _owned = database;
        Ledger = new PostgresLedgerStore(database);
        Audit = new PostgresAuditLog(database);
        var audit = new Audit.AuditRecorder(Audit, time);
        Keys = new Audit.AuditedKeyStore(new PostgresKeyStore(database, time), audit);
        Budgets = new Audit.AuditedBudgetStore(new PostgresBudgetStore(database, time), audit);
        Outcomes = new Audit.AuditedOutcomeStore(new PostgresOutcomeStore(database, time), audit);
        AdminCredentials = new Audit.AuditedAdminCredentialStore(new PostgresAdminCredentialStore(database, time), audit);
        Retention = new PostgresLedgerRetention(database);
        Spend = new PostgresSpendReader(database);
        Alerts = new PostgresAlertStore(database);
        SpendQueries = new PostgresSpendQueries(database);
        Rollups = new PostgresRollupQueries(database);
        Savings = new PostgresSavingsQueries(database);
        Explorer = new PostgresLedgerExplorer(database);
        ImportState = new PostgresImportState(database);
        Usage = new PostgresUsageReader(database);
        WasteRows = new PostgresWasteRowReader(database);
        Planning = new PostgresPlanningQueries(database);
        RateLimits = new PostgresRateLimitStore(database, time);
        Sessions = new PostgresSessionStore(database);
        Batches = new PostgresBatchStore(database);
        ResponseCache = new PostgresResponseCacheStore(database);
        SemanticIndex = new PostgresSemanticIndexStore(database);
        Probe = new SqlStorageProbe(StorageServiceCollectionExtensions.DisplayName(StorageKinds.Postgres),
            async cancel => await database.DataSource.OpenConnectionAsync(cancel));
    }

    /// <summary>
    /// Opens the backend <paramref name="options"/> names and migrates its schema: SQLite in
    /// <paramref name="dataDirectory"/> (created if missing), PostgreSQL from the options' connection string (the data
    /// directory is then not used here; the gateway keeps its journal there either way).
    /// </summary>
    public static StorageSession Open(StorageOptions options, string dataDirectory, TimeProvider? time = null)
    {
        StorageServiceCollectionExtensions.EnsureAvailable(options);
        time ??= TimeProvider.System;
        return options.Kind switch
        {
            StorageKinds.Postgres => new StorageSession(new PostgresDatabase(ConnectionString(options)), time),
            _ => new StorageSession(new SqliteDatabase(dataDirectory), time),
        };
    }

    /// <summary>Where a session's data lives, for people (a path, or the backend's name: never a connection string).</summary>
    public static string Describe(StorageOptions options, string dataDirectory) => options.Kind == StorageKinds.Postgres
        ? StorageServiceCollectionExtensions.DisplayName(options.Kind)
        : Path.GetFullPath(dataDirectory);

    private static string ConnectionString(StorageOptions options) =>
        options.ReadConnectionString() ?? throw new InvalidOperationException(
            // Names where it was looked for, never a value.
            $"storage.kind \"postgres\": no connection string in {(options.ConnectionStringEnv is { } env ? "the environment variable " + env : options.ConnectionStringFile is { } file ? file : "storage.connectionStringEnv or storage.connectionStringFile (neither is set)")}");

    public ILedgerStore Ledger { get; }
    public IKeyStore Keys { get; }
    public IBudgetStore Budgets { get; }
    public IOutcomeStore Outcomes { get; }
    public ISpendReader Spend { get; }
    public IAlertStore Alerts { get; }
    public ISpendQueries SpendQueries { get; }
    public IRollupQueries Rollups { get; }
    public ISavingsQueries Savings { get; }
    public ILedgerExplorer Explorer { get; }
    public IImportState ImportState { get; }
    public ILedgerUsageReader Usage { get; }
    public IWasteRowReader WasteRows { get; }
    public ISessionStore Sessions { get; }
    public IStorageProbe Probe { get; }
    public IRateLimitStore RateLimits { get; }
    /// <summary>The append-only audit trail; keys, budgets and outcomes above write to it through their auditing wrappers.</summary>
    public IAuditLog Audit { get; }
    public IAdminCredentialStore AdminCredentials { get; }
    public ILedgerRetention Retention { get; }
    public IPlanningQueries Planning { get; }
    public IBatchStore Batches { get; }
    /// <summary>The response cache's entries in the database (the gateway uses Redis instead when "redis" is configured).</summary>
    public IResponseCacheStore ResponseCache { get; }
    /// <summary>The semantic cache's index entries (always in the database: the fleet's replicas share them).</summary>
    public ISemanticIndexStore SemanticIndex { get; }

    /// <summary>Closes what the session holds: SQLite's ledger write connection, PostgreSQL's connection pool.</summary>
    public void Dispose() => _owned.Dispose();
}
