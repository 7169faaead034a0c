using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
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
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Explorer);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().ImportState);
        services.AddSingleton(sp => sp.GetRequiredService<StorageSession>().Usage);
        return services;
    }

    /// <summary>True when this build can compose the backend (config validation refuses the others at start).</summary>
    public static bool IsAvailable(string kind) => kind == StorageKinds.Sqlite;

    /// <summary>Shared Redis budget counters: not in this build yet.</summary>
    public static bool RedisAvailable => false;

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
/// command opens one for itself. A new backend adds its branch to
/// <see cref="Open"/>.
/// </summary>
public sealed class StorageSession : IDisposable
{
    private readonly SqliteLedgerStore _ledger;

    // The stores are thin wrappers over the database (nothing opens until a call), so all are created up front: no lazy
    // initialisation to race when the gateway's container resolves several contracts at once.
    private StorageSession(SqliteDatabase database, TimeProvider time)
    {
        _ledger = new SqliteLedgerStore(database);
        Keys = new SqliteKeyStore(database, time);
        Budgets = new SqliteBudgetStore(database, time);
        Outcomes = new SqliteOutcomeStore(database, time);
        Spend = new SqliteSpendReader(database);
        Alerts = new SqliteAlertStore(database);
        SpendQueries = new SqliteSpendQueries(database);
        Rollups = new RollupQueries(database);
        Explorer = new LedgerExplorer(database);
        ImportState = new SqliteImportState(database);
        Usage = new SqliteUsageReader(database);
    }

    /// <summary>Opens the backend <paramref name="options"/> names (the SQLite database is created and migrated here).</summary>
    public static StorageSession Open(StorageOptions options, string dataDirectory, TimeProvider? time = null)
    {
        StorageServiceCollectionExtensions.EnsureAvailable(options);
        return new StorageSession(new SqliteDatabase(dataDirectory), time ?? TimeProvider.System);
    }

    public ILedgerStore Ledger => _ledger;
    public IKeyStore Keys { get; }
    public IBudgetStore Budgets { get; }
    public IOutcomeStore Outcomes { get; }
    public ISpendReader Spend { get; }
    public IAlertStore Alerts { get; }
    public ISpendQueries SpendQueries { get; }
    public IRollupQueries Rollups { get; }
    public ILedgerExplorer Explorer { get; }
    public IImportState ImportState { get; }
    public ILedgerUsageReader Usage { get; }

    /// <summary>Closes the ledger's write connection, if a write opened one.</summary>
    public void Dispose() => _ledger.Dispose();
}
