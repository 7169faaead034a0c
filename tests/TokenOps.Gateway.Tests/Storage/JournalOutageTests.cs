using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Journal;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Storage;

/// <summary>
/// The journal never stops recording and never takes the process down: a failed rotation is retried while the current
/// segment keeps taking events, a full disk is found when a segment is created (not by a page fault), and while the
/// journal cannot record, the gateway refuses new requests with 503 in the client's protocol before forwarding them.
/// </summary>
public sealed class JournalOutageTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-journal", Guid.NewGuid().ToString("N"));

    private static LedgerEntry Entry(int i) => new()
    {
        Id = $"evt_{i:D5}",
        StartedAt = new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero),
        EndedAt = new DateTimeOffset(2026, 11, 2, 9, 0, 1, TimeSpan.Zero),
        Route = "openai.chat",
        Person = "ada",
        Usage = new TokenUsage { UncachedInput = 100, Output = 10 },
        Outcome = LedgerOutcome.Ok,
        Status = 200,
    };

    [Fact]
    public async Task RotationFailure_KeepsTheCurrentSegment_ThenHoldsEventsInMemory_AndRecoversWithoutLosingOne()
    {
        var journalDir = Path.Combine(_dir, "journal");
        var store = new SqliteLedgerStore(new SqliteDatabase(_dir));
        var journal = new LedgerJournal(journalDir, new JournalSettings { SegmentBytes = 64 * 1024, EventsPerSegment = 20, MinFreeBytes = 0 });
        var recorded = 0;
        await using (var writer = new LedgerWriter(store, journal))
        {
            while (recorded < 5) writer.Record(Entry(recorded++));
            using (new DirectoryReplacedByFile(journalDir))
            {
                // Past 20 events the segment should rotate; it cannot, so it keeps taking events into its remaining room.
                while (recorded < 25) writer.Record(Entry(recorded++));
                Assert.Equal(JournalState.Degraded, journal.Health.State);
                Assert.Contains("cannot create a journal segment", journal.Health.Problem);
                // Down to the headroom: Unavailable (the gateway would now refuse), still journalling into the headroom.
                while (journal.Health.State != JournalState.Unavailable && recorded < 2000) writer.Record(Entry(recorded++));
                Assert.Equal(JournalState.Unavailable, journal.Health.State);
                Assert.Equal(0, writer.HeldInMemory);
                // Past the headroom too: events are kept in the writer's queue (memory), none is refused or lost.
                while (writer.HeldInMemory < 10 && recorded < 4000) writer.Record(Entry(recorded++));
                Assert.Equal(10, writer.HeldInMemory);
            }

            // The directory is back: the next retry (backoff of at most a second) creates a segment; no restart.
            await WaitUntilAsync(() => journal.Probe().State == JournalState.Healthy);
            for (var end = recorded + 30; recorded < end;) writer.Record(Entry(recorded++));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await writer.FlushAsync(timeout.Token);
            Assert.Equal(0, writer.HeldInMemory);
            // Segments committed while their directory was away are deleted once it is back: only the current one is left.
            Assert.Equal(1, journal.SegmentFileCount);
        }
        Assert.Equal(Enumerable.Range(0, recorded).Select(i => Entry(i).Id), store.Read().Select(r => r.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ASegmentsBlocksAreAllocatedWhenItIsCreated_AndOneTheDiskCannotHoldIsRefusedThen_NotAtAPageFault()
    {
        // A sparse segment would be allocated page by page as it is written; on a full disk that write is a SIGBUS.
        using var disk = Tmpfs.Mount(1 << 20);
        var free = disk.FreeBytes;
        using (var journal = new LedgerJournal(Path.Combine(disk.Path, "a"), new JournalSettings { SegmentBytes = 512 * 1024, MinFreeBytes = 0 }))
        {
            Assert.Equal(JournalState.Healthy, journal.Health.State);
            Assert.True(free - disk.FreeBytes >= 512 * 1024, $"only {free - disk.FreeBytes} bytes were allocated for a 512 KiB segment");
        }

        using var tooBig = new LedgerJournal(Path.Combine(disk.Path, "b"), new JournalSettings { SegmentBytes = 2 << 20, MinFreeBytes = 0 });
        Assert.Equal(JournalState.Unavailable, tooBig.Health.State);
        Assert.Contains("free disk space", tooBig.Health.Problem);
        Assert.Equal(LedgerJournal.NotJournalled, tooBig.Append(Entry(1)));
        Assert.Empty(Directory.GetFiles(Path.Combine(disk.Path, "b")));
    }

    [Fact]
    public async Task Gateway_JournalDirectoryUnusable_RotationIsRetried_EveryRequestLeavesExactlyOneRow_NoneIs500()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => { o.JournalSegmentBytes = 64 * 1024; o.JournalMinFreeBytes = 0; });
        using var http = gateway.Client(gateway.CreateKey());
        var answers = new List<(int Status, string Id)>();
        async Task<int> SendAsync(int i)
        {
            using var response = await http.SendAsync(Request(i));
            await response.Content.ReadAsStringAsync();
            answers.Add(((int)response.StatusCode, response.Headers.GetValues("X-TokenOps-Request-Id").Single()));
            return (int)response.StatusCode;
        }

        for (var i = 0; i < 10; i++) Assert.Equal(200, await SendAsync(i));
        var journalDir = Path.Combine(gateway.DataDirectory, "journal");
        using (new DirectoryReplacedByFile(journalDir))
        {
            // Enough requests to need several segments: the current one takes them down to its headroom, then new
            // requests are refused (the headroom is for those already in flight).
            var refused = 0;
            for (var i = 0; i < 300 && refused < 5; i++)
                if (await SendAsync(i) == 503) refused++;
            Assert.Equal(5, refused);
            Assert.True(answers.Count(a => a.Status == 200) > 20, "the current segment should have kept recording while rotation failed");

            var billed = gateway.Bill.Entries.Count;
            using (var response = await http.SendAsync(Request(0)))
            {
                answers.Add(((int)response.StatusCode, response.Headers.GetValues("X-TokenOps-Request-Id").Single()));
                await AssertLedgerUnavailableAsync(response, anthropic: false);
            }
            Assert.Equal(billed, gateway.Bill.Entries.Count); // refused before anything reached the provider
            var health = await HealthAsync(http);
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "unhealthy"), (health.Status, health.Body.GetProperty("status").GetString()));
            Assert.Contains("cannot create a journal segment", health.Body.GetProperty("journal").GetString());
        }

        await WaitUntilHealthyAsync(http);
        for (var i = 0; i < 20; i++) Assert.Equal(200, await SendAsync(i));
        Assert.All(answers, a => Assert.Contains(a.Status, new[] { 200, 503 }));
        await AssertExactlyOneRowEachAsync(gateway, answers);
    }

    [Fact]
    public async Task Gateway_DiskFull_Refuses503InEachProtocol_ForwardsNothing_HealthzSaysWhy_AndRecordsAgainOnceSpaceIsFreed()
    {
        using var disk = Tmpfs.Mount(8 << 20);
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.DataDirectory = Path.Combine(disk.Path, "data");
            o.JournalSegmentBytes = 64 * 1024;
            o.JournalMinFreeBytes = 256 * 1024;
        });
        using var http = gateway.Client(gateway.CreateKey());
        var answers = new List<(int Status, string Id)>();
        async Task<int> SendAsync(int i)
        {
            using var response = await http.SendAsync(Request(i));
            await response.Content.ReadAsStringAsync();
            answers.Add(((int)response.StatusCode, response.Headers.GetValues("X-TokenOps-Request-Id").Single()));
            return (int)response.StatusCode;
        }

        for (var i = 0; i < 5; i++) Assert.Equal(200, await SendAsync(i));
        using (disk.Fill())
        {
            Assert.True(disk.FreeBytes < 64 * 1024, $"{disk.FreeBytes} bytes still free");
            // The current segment's blocks were allocated when it was created, so it keeps recording until it needs a
            // successor, which the full disk cannot hold: from then on, 503 (and never a SIGBUS).
            var refusedAt = -1;
            for (var i = 0; i < 300 && refusedAt < 0; i++)
            {
                var status = await SendAsync(i);
                if (status == 503) refusedAt = i;
                else Assert.Equal(200, status);
            }
            Assert.True(refusedAt >= 0, "the gateway never stopped forwarding on a full disk");

            var billed = gateway.Bill.Entries.Count;
            using (var response = await http.SendAsync(Request(0)))
            {
                answers.Add(((int)response.StatusCode, response.Headers.GetValues("X-TokenOps-Request-Id").Single()));
                await AssertLedgerUnavailableAsync(response, anthropic: false);
            }
            using (var response = await http.SendAsync(Request(1)))
            {
                answers.Add(((int)response.StatusCode, response.Headers.GetValues("X-TokenOps-Request-Id").Single()));
                await AssertLedgerUnavailableAsync(response, anthropic: true);
            }
            Assert.Equal(billed, gateway.Bill.Entries.Count);
            var health = await HealthAsync(http);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
            Assert.Equal("unhealthy", health.Body.GetProperty("status").GetString());
            Assert.Contains("free disk space", health.Body.GetProperty("journal").GetString());
        }

        // Space freed: the next retry creates a segment, with no restart; rows held back reach the store.
        await WaitUntilHealthyAsync(http);
        for (var i = 0; i < 10; i++) Assert.Equal(200, await SendAsync(i));
        await AssertExactlyOneRowEachAsync(gateway, answers);
    }

    /// <summary>Alternates OpenAI chat (streamed and not) and Anthropic messages.</summary>
    private static HttpRequestMessage Request(int i)
    {
        if (i % 2 == 1)
        {
            var messages = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
            {
                Content = new StringContent($$"""{"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"outage {{i}}"}]}""", Encoding.UTF8, "application/json"),
            };
            messages.Headers.Add("anthropic-version", "2023-06-01");
            return messages;
        }
        var stream = i % 4 == 0 ? "true" : "false";
        return new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"gpt-4o-mini","stream":{{stream}},"messages":[{"role":"user","content":"outage {{i}}"}]}""", Encoding.UTF8, "application/json"),
        };
    }

    private static async Task AssertLedgerUnavailableAsync(HttpResponseMessage response, bool anthropic)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        var error = root.GetProperty("error");
        Assert.Equal("ledger_unavailable", error.GetProperty("code").GetString());
        Assert.Contains("not sent to the provider", error.GetProperty("message").GetString());
        if (anthropic)
        {
            Assert.Equal("error", root.GetProperty("type").GetString());
            Assert.Equal("api_error", error.GetProperty("type").GetString());
        }
        else
        {
            Assert.Equal("server_error", error.GetProperty("type").GetString());
            Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        }
    }

    /// <summary>Every answer the client got, 200 or 503, has one row; the refusals say why and cost nothing.</summary>
    private static async Task AssertExactlyOneRowEachAsync(GatewayFixture gateway, List<(int Status, string Id)> answers)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // the store may be in its retry backoff
        await gateway.App.Services.GetRequiredService<LedgerWriter>().FlushAsync(timeout.Token);
        var rows = await gateway.LedgerAsync(answers.Count);
        Assert.Equal(answers.Select(a => a.Id).Order(StringComparer.Ordinal), rows.Select(r => r.Id).Order(StringComparer.Ordinal));
        var byId = rows.ToDictionary(r => r.Id);
        Assert.All(answers, a => Assert.Equal(a.Status, byId[a.Id].Status));
        Assert.All(rows.Where(r => r.Status == 503), r => Assert.Equal(("ledger_unavailable", 0L, (string?)null), (r.ErrorCode, r.CostNanos, r.Provider)));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> HealthAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/healthz");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, doc.RootElement.Clone());
    }

    private static async Task WaitUntilHealthyAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var (status, body) = await HealthAsync(http);
            if (status == HttpStatusCode.OK && body.GetProperty("status").GetString() == "healthy") return;
            if (DateTime.UtcNow > deadline) Assert.Fail($"/healthz still {(int)status} {body} 10 s after the disk came back");
            await Task.Delay(50);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("condition not met within 10 s");
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>
    /// Makes a directory unusable for new files even for root (tests run as root, which chmod does not stop): moves it
    /// aside and puts a plain file at its path. Files already open, the mapped current segment among them, keep
    /// working, as they do when a directory turns read-only or its mount goes away.
    /// </summary>
    private sealed class DirectoryReplacedByFile : IDisposable
    {
        private readonly string _path;
        private readonly string _aside;

        public DirectoryReplacedByFile(string path)
        {
            _path = path;
            _aside = path + ".away";
            Directory.Move(path, _aside);
            File.WriteAllText(path, "not a directory");
        }

        public void Dispose()
        {
            File.Delete(_path);
            Directory.Move(_aside, _path);
        }
    }
}
