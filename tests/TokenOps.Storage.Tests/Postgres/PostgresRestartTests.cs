using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>A store outlives its server: writes fail while PostgreSQL is down and succeed, promptly, once it is back.</summary>
public sealed class PostgresRestartTests : IDisposable
{
    // Its own server: stopping the shared one would fail the other classes' tests running at the same time.
    private readonly PostgresServer _server = new();

    private static LedgerEntry Row(string id) => new()
    {
        Id = id, StartedAt = DateTimeOffset.UnixEpoch.AddDays(20000), EndedAt = DateTimeOffset.UnixEpoch.AddDays(20000), Route = "openai.chat",
        Outcome = LedgerOutcome.Ok, CostNanos = 5,
    };

    [Fact]
    public async Task Writes_fail_while_the_server_is_down_and_land_once_it_is_back()
    {
        using var database = new PostgresDatabase(_server.Database("restart"));
        var store = new PostgresLedgerStore(database);
        Assert.Equal(1, store.Write([Row("a")]));
        _server.Stop();
        Assert.ThrowsAny<Exception>(() => store.Write([Row("b")]));
        Assert.ThrowsAny<Exception>(() => store.Write([Row("b")]));
        _server.Start();
        var write = Task.Run(() => store.Write([Row("b"), Row("c")]));
        Assert.Same(write, await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(20))));
        Assert.Equal(2, await write);
        Assert.Equal(3, store.Count());
    }

    public void Dispose() => _server.Dispose();
}
