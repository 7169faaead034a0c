using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;

namespace TokenOps.Gateway.Tests.Storage;

/// <summary>
/// The one composition place: every store contract resolves from AddTokenOpsStorage and from a StorageSession, and a
/// backend this build lacks is refused there too (never a silent SQLite). A new backend must pass the same checks.
/// </summary>
public sealed class StorageCompositionTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-composition", Guid.NewGuid().ToString("N"));

    /// <summary>Every interface in the contracts namespace, plus the ledger's and the spend history Core defines.</summary>
    private static IReadOnlyList<Type> ContractTypes() =>
    [
        .. typeof(StorageOptions).Assembly.GetExportedTypes().Where(t => t.IsInterface && t.Namespace == "TokenOps.Storage").OrderBy(t => t.Name, StringComparer.Ordinal),
        typeof(ILedgerStore),
        typeof(ISpendHistory),
    ];

    public static TheoryData<Type> Contracts() => new(ContractTypes());

    [Theory]
    [MemberData(nameof(Contracts))]
    public void AddTokenOpsStorage_RegistersEveryContract_AsOneSingleton(Type contract)
    {
        var services = new ServiceCollection().AddSingleton(TimeProvider.System).AddTokenOpsStorage(new StorageOptions(), _dir);
        using var provider = services.BuildServiceProvider();
        var first = provider.GetRequiredService(contract);
        Assert.Same(first, provider.GetRequiredService(contract));
    }

    [Fact]
    public void StorageSession_ExposesEveryContract()
    {
        using var session = StorageSession.Open(new StorageOptions(), _dir);
        var exposed = typeof(StorageSession).GetProperties().Select(p => p.PropertyType).ToHashSet();
        foreach (var contract in ContractTypes().Where(t => t != typeof(ISpendHistory)))
            Assert.Contains(contract, exposed);
        foreach (var p in typeof(StorageSession).GetProperties()) Assert.NotNull(p.GetValue(session));
    }

    [Fact]
    public void AnUnknownBackend_IsRefused_NotReplacedBySqlite()
    {
        var mysql = new StorageOptions { Kind = "mysql" };
        var ex = Assert.Throws<NotSupportedException>(() => new ServiceCollection().AddTokenOpsStorage(mysql, _dir));
        Assert.Equal("storage.kind \"mysql\": this build has no mysql backend yet", ex.Message);
        Assert.Throws<NotSupportedException>(() => StorageSession.Open(mysql, _dir));
        Assert.False(File.Exists(Path.Combine(_dir, "tokenops.db")));
    }

    [Fact]
    public void Postgres_WithoutItsConnectionString_FailsNamingWhereItLooked_NotReplacedBySqlite()
    {
        Assert.True(StorageServiceCollectionExtensions.IsAvailable(StorageKinds.Postgres));
        var postgres = new StorageOptions { Kind = StorageKinds.Postgres, ConnectionStringEnv = "TOKENOPS_TEST_UNSET_51c2" };
        var ex = Assert.Throws<InvalidOperationException>(() => StorageSession.Open(postgres, _dir));
        Assert.Contains("TOKENOPS_TEST_UNSET_51c2", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "tokenops.db")));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
