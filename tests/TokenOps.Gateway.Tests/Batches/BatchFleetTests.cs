using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Batches;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Fleet;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;
using TokenOps.Storage;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Batches;

/// <summary>
/// Exactly once across replicas: two gateways on one PostgreSQL database, in front of one simulator, both polling every
/// 200 ms; a settlement claim left by a replica that died, and one replica restarted mid-run. Every line is one row.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BatchFleetTests(PostgresServer server)
{
    [Fact]
    public async Task Two_replicas_polling_one_database_and_a_restart_settle_every_line_exactly_once()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tokenops-batch-fleet", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var secret = Path.Combine(dir, "pg.secret");
        await File.WriteAllTextAsync(secret, server.NewDatabase("batchfleet"));
        void Configure(GatewayOptions o)
        {
            o.Storage = new StorageOptions { Kind = StorageKinds.Postgres, ConnectionStringFile = secret };
            o.Batches.PollSeconds = 0.2;
        }

        await using var a = await GatewayFixture.StartAsync(Configure, new SimulatorOptions { BatchProcessingTime = TimeSpan.FromMilliseconds(500) });
        GatewayApp StartB(string data)
        {
            var options = new GatewayOptions { DataDirectory = data, AdminTokenEnv = GatewayFixture.AdminTokenVariable };
            Configure(options);
            return GatewayHost.StartAsync(new GatewaySettings
            {
                Options = options, Urls = ["http://127.0.0.1:0"], SimulatorUrl = a.Simulator.Url, SimulatorTimeout = TimeSpan.FromSeconds(30),
                SimulatorApiKey = new Secret("sim-key"),
            }).GetAwaiter().GetResult();
        }
        var b = StartB(Path.Combine(dir, "b1"));
        using var http = a.Client(a.CreateKey("fay", "core"));

        var expected = new Dictionary<string, int>();
        for (var i = 0; i < 3; i++)
        {
            var jsonl = string.Join("\n", Enumerable.Range(0, 4).Select(n =>
                $$$"""{"custom_id":"c{{{n}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"batch {{{i}}} line {{{n}}}"}]}}"""));
            var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" }, { new ByteArrayContent(Encoding.UTF8.GetBytes(jsonl)), "file", "in.jsonl" } };
            using var upload = await http.PostAsync("/v1/files", form);
            var fileId = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
            using var create = await http.PostAsync("/v1/batches", new StringContent(
                $$$"""{"input_file_id":"{{{fileId}}}","endpoint":"/v1/chat/completions","completion_window":"24h"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, create.StatusCode);
            expected[JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!] = 4;
        }
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages/batches")
        {
            Content = new StringContent("""
                {"requests":[{"custom_id":"m1","params":{"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"one"}]}},
                             {"custom_id":"m2","params":{"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"two"}]}}]}
                """, Encoding.UTF8, "application/json"),
        })
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
            using var created = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            expected[JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!] = 2;
        }

        // A replica that claimed the first batch and died: its claim lapses, and another replica takes the batch over.
        var store = a.App.Services.GetRequiredService<IBatchStore>();
        var first = expected.Keys.First();
        var now = DateTimeOffset.UtcNow;
        Assert.True(store.TryClaimSettlement(first, "dead-replica", now, now.AddSeconds(1)));

        // Replica b is restarted while both poll.
        await Task.Delay(600);
        await b.DisposeAsync();
        b = StartB(Path.Combine(dir, "b2"));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (expected.Keys.Any(id => store.Find(id)!.SettledAt is null) && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.All(expected.Keys, id => Assert.NotNull(store.Find(id)!.SettledAt));
        await b.FlushLedgerAsync();
        await b.DisposeAsync();

        var rows = (await a.LedgerAsync()).Where(r => r.BatchId is not null).ToList();
        foreach (var (id, lines) in expected)
        {
            Assert.Equal(lines, rows.Count(r => r.BatchId == id));
            Assert.Equal(lines, store.Find(id)!.SettledRows);
        }
        Assert.Equal(rows.Count, rows.Select(r => r.Id).Distinct().Count());
        Assert.All(rows, r => Assert.Equal(LedgerOutcome.Ok, r.Outcome));
        var bill = a.Bill.Entries.Where(e => e.Protocol is SimProtocols.OpenAIBatch or SimProtocols.AnthropicBatch).ToList();
        Assert.Equal(expected.Values.Sum(), bill.Count);
        Assert.Equal(a.BilledNanos(bill), rows.Sum(r => r.CostNanos));
        Assert.Equal(expected.Values.Sum(), rows.Count);
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }
}
