using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TokenOps.Core.Budgets;

namespace TokenOps.Gateway.Tests.Alerts;

/// <summary>A real HTTP webhook receiver on loopback that answers 503 to its first <see cref="FailFirst"/> requests.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;

    private WebhookReceiver(WebApplication app, int failFirst)
    {
        _app = app;
        FailFirst = failFirst;
    }

    public int FailFirst { get; }
    public Uri Url { get; private set; } = null!;
    /// <summary>Every request received: the status answered and the body.</summary>
    public ConcurrentQueue<(int Status, string Body)> Requests { get; } = new();
    public IReadOnlyList<string> Accepted => Requests.Where(r => r.Status == 200).Select(r => r.Body).ToList();

    public static async Task<WebhookReceiver> StartAsync(int failFirst = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, failFirst);
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var n = Interlocked.Increment(ref receiver._count);
            var status = n <= receiver.FailFirst ? 503 : 200;
            receiver.Requests.Enqueue((status, body));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        receiver.Url = new Uri(GatewayHost.BoundAddress(app) + "/hook");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>The test's own budget snapshots (the budgets engine provides the real ones).</summary>
public sealed class TestBudgets : IBudgetSnapshots
{
    public List<BudgetSnapshot> Items { get; } = [];
    public IReadOnlyList<BudgetSnapshot> Current() => Items.ToList();
}
