using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Storage;

/// <summary>
/// kill -9 of the gateway process under load, then a restart on the same data directory: every response the
/// client received is in the ledger exactly once, and nothing is in the ledger that the provider did not serve.
/// </summary>
public sealed class CrashTests
{
    [Fact]
    public async Task Kill9UnderLoad_RestartReplaysJournal_NoLossNoDuplicates()
    {
        await using var simulator = SimulatorApp.Build(new SimulatorOptions { InterChunkDelayMs = 1 }, "http://127.0.0.1:0");
        await simulator.StartAsync();
        var bill = simulator.Services.GetService(typeof(SimulatorBill)) as SimulatorBill;
        var setup = await ServeSetup.CreateAsync(simulator.Urls.First(), "crash");
        var (dir, key, url) = (setup.DataDirectory, setup.VirtualKey, setup.Url);

        var received = new ConcurrentBag<string>();
        using (var gateway = setup.Start())
        {
            await gateway.WaitForLineAsync("listening", TimeSpan.FromSeconds(30));
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", key);
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 400 && !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        var stream = (i + w) % 2 == 0 ? "true" : "false";
                        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(
                            $$"""{"model":"gpt-4o-mini","stream":{{stream}},"messages":[{"role":"user","content":"crash test {{w}}-{{i}}"}]}""", Encoding.UTF8, "application/json"));
                        var body = await response.Content.ReadAsStringAsync();
                        if (response.IsSuccessStatusCode && (stream == "false" || body.Contains("[DONE]")))
                            received.Add(response.Headers.GetValues("X-TokenOps-Request-Id").Single());
                    }
                    catch (Exception)
                    {
                        return; // the gateway is gone
                    }
                }
            })).ToArray();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (received.Count < 150 && DateTime.UtcNow < deadline) await Task.Delay(10);
            gateway.Process.Kill(); // SIGKILL: no shutdown hooks, no flush
            await gateway.Process.WaitForExitAsync();
            stop.Cancel();
            await Task.WhenAll(workers);
        }
        Assert.True(received.Count >= 150, $"only {received.Count} responses before the kill");

        // Restart: the journal is replayed into the ledger before the first request is served.
        using (var restarted = setup.Start($"http://127.0.0.1:{ServeSetup.FreePort()}"))
        {
            await restarted.WaitForLineAsync("listening", TimeSpan.FromSeconds(30));
            restarted.Process.Kill(); // even a second crash cannot lose what the replay committed
            await restarted.Process.WaitForExitAsync();
        }
        var rows = new SqliteLedgerStore(new SqliteDatabase(dir)).Read();
        var ids = rows.Select(r => r.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var missing = received.Except(ids).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {received.Count} delivered responses are missing from the ledger");
        var served = bill!.Entries.Select(e => e.Id).ToHashSet();
        Assert.All(rows.Where(r => r.ProviderRequestId is not null), r => Assert.Contains(r.ProviderRequestId!, served));
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }
}
