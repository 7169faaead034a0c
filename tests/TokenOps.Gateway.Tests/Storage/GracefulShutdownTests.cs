using System.Diagnostics;
using System.Text;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Storage;

/// <summary>SIGTERM (what systemd, Docker and Kubernetes send) lets in-flight streams finish, flushes the ledger, exits 0.</summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Sigterm_DrainsInFlightStreams_FlushesTheLedger_AndExitsCleanly()
    {
        // Slow streams (64 chunks, 50 ms apart: over 3 s each) so that they are mid-flight when SIGTERM lands, and
        // outlast any short grace period a signal handler might give.
        await using var simulator = SimulatorApp.Build(new SimulatorOptions { InterChunkDelayMs = 50 }, "http://127.0.0.1:0");
        await simulator.StartAsync();
        var setup = await ServeSetup.CreateAsync(simulator.Urls.First(), "sigterm");
        var (dir, key, url) = (setup.DataDirectory, setup.VirtualKey, setup.Url);

        using var gateway = setup.Start();
        await gateway.WaitForLineAsync("listening", TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);

        var started = new List<(HttpResponseMessage Response, Stream Body)>();
        for (var i = 0; i < 4; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent($$"""{"model":"gpt-4o-mini","stream":true,"max_tokens":64,"messages":[{"role":"user","content":"drain {{i}}"}]}""", Encoding.UTF8, "application/json"),
            };
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.True(response.IsSuccessStatusCode);
            var body = await response.Content.ReadAsStreamAsync();
            Assert.True(await body.ReadAsync(new byte[1]) == 1); // the stream is flowing
            started.Add((response, body));
        }

        var signalled = Stopwatch.StartNew();
        using (var term = Process.Start("kill", ["-TERM", gateway.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            await term.WaitForExitAsync();

        // Every in-flight stream still ends with [DONE].
        foreach (var (response, body) in started)
        {
            using var reader = new StreamReader(body);
            var rest = await reader.ReadToEndAsync();
            Assert.EndsWith("data: [DONE]\n\n", rest);
            response.Dispose();
        }
        using (var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            await gateway.Process.WaitForExitAsync(exitWait.Token);
        Assert.True(gateway.Process.ExitCode == 0, $"exit {gateway.Process.ExitCode}: {gateway.Stderr}");
        Assert.True(signalled.Elapsed > TimeSpan.FromSeconds(2), $"streams of over 3 s finished {signalled.Elapsed} after SIGTERM");

        // Flushed: the rows are in SQLite and the journal holds nothing left to replay.
        var rows = new SqliteLedgerStore(new SqliteDatabase(dir)).Read();
        var ids = started.Select(s => s.Response.Headers.GetValues("X-TokenOps-Request-Id").Single()).ToHashSet();
        Assert.Equal(ids, rows.Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToHashSet());
        Assert.All(rows.Where(r => ids.Contains(r.Id)), r => Assert.Equal((LedgerOutcome.Ok, false), (r.Outcome, r.Estimated)));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "journal"), "*.jsonl"));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }
}
