using System.Text;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>
/// `tokenops serve` holds no file watcher: the framework's default one watched the working directory recursively, and
/// every ledger and journal write under it (the default data directory is ./.tokenops) woke it under load.
/// </summary>
public sealed class ServeWatchesNoFilesTests
{
    [Fact]
    public async Task Serve_HasNoInotifyHandle_WhileItMetersRequests()
    {
        await using var simulator = SimulatorApp.Build(new SimulatorOptions(), "http://127.0.0.1:0");
        await simulator.StartAsync();
        var setup = await ServeSetup.CreateAsync(simulator.Urls.First(), "nowatch");
        using var gateway = setup.Start();
        await gateway.WaitForLineAsync("listening", TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = new Uri(setup.Url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", setup.VirtualKey);
        using var response = await http.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode);

        var handles = Directory.GetFiles($"/proc/{gateway.Process.Id}/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget ?? ""; } catch (IOException) { return ""; } })
            .ToList();
        Assert.Contains(handles, h => h.StartsWith("socket:", StringComparison.Ordinal)); // the listing itself works
        Assert.DoesNotContain(handles, h => h.Contains("inotify", StringComparison.Ordinal));
    }
}
