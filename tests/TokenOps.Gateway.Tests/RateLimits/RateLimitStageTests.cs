using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using TokenOps.Core.Identity;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Protocols.OpenAI;
using TokenOps.Gateway.RateLimits;
using TokenOps.Storage.Redis;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.RateLimits;

/// <summary>
/// The stage over shared counters that cannot be reached (a real Redis client pointed at a port nobody listens on):
/// redis.onFailure decides between a 503 refusal and admitting without a lease.
/// </summary>
public sealed class RateLimitStageTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-rate-limit-stage", Guid.NewGuid().ToString("N"));
    private readonly ConnectionMultiplexer _unreachable;

    public RateLimitStageTests()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _unreachable = ConnectionMultiplexer.Connect($"127.0.0.1:{port},abortConnect=false,connectTimeout=200,asyncTimeout=500,connectRetry=0");
    }

    public void Dispose()
    {
        _unreachable.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private RateLimitStage Stage(string onFailure)
    {
        var options = new GatewayOptions { DataDirectory = _dir, Redis = new RedisOptions { OnFailure = onFailure } };
        options.RateLimits.Teams["core"] = new RateLimitRuleOptions { RequestsPerMinute = 5 };
        var engine = new RateLimitEngine(options, new SqliteRateLimitStore(new SqliteDatabase(_dir), TimeProvider.System), NullLogger<RateLimitEngine>.Instance);
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return new RateLimitStage(engine, new RedisRateLimitCounters(_unreachable), new TokenCounter(), options, new RateLimitMetrics(meters),
            NullLogger<RateLimitStage>.Instance);
    }

    private static ProxyContext Request() => new(new DefaultHttpContext(), new ChatCompletionsRoute(), "evt_stage_" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow)
    {
        Key = new VirtualKey("key_1", "ada", "core", "tok_abcd…", DateTimeOffset.UnixEpoch, null),
    };

    [Fact]
    public async Task UnreachableCounters_FailClosed_Refuse503WithRetryAfter()
    {
        var ex = await Assert.ThrowsAsync<GatewayException>(async () => await Stage(RedisFailureModes.FailClosed).RunAsync(Request()));

        Assert.Equal((503, "rate_limits_unavailable", 1), (ex.Status, ex.Code, ex.RetryAfterSeconds));
    }

    [Fact]
    public async Task UnreachableCounters_FailOpen_AdmitWithoutALease()
    {
        var context = Request();

        await Stage(RedisFailureModes.FailOpen).RunAsync(context);

        Assert.Null(context.RateLimitLease);
    }
}
