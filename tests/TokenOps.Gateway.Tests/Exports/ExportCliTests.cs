using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Exports;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Exports;

/// <summary>`tokenops export focus|csv` on a ledger filled through the real gateway, read back as a FinOps tool would.</summary>
public sealed class ExportCliTests
{
    private static readonly Regex IsoSecond = new(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$");

    private static async Task<(GatewayFixture Gateway, DateTimeOffset MonthStart)> LedgerWithTrafficAsync()
    {
        var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey("ada, \"the\" countess", "core"));
        var longPrompt = string.Join(' ', Enumerable.Repeat("cache me", 900));
        foreach (var (path, body) in new[]
                 {
                     // The long prompt twice: the simulated provider's prompt cache serves the second from the first.
                     ("/v1/chat/completions", $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{{longPrompt}}"}]}"""),
                     ("/v1/chat/completions", """{"model":"o4-mini","stream":true,"messages":[{"role":"user","content":"think hard"}]}"""),
                     ("/v1/chat/completions", $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{{longPrompt}}"}]}"""),
                     ("/v1/messages", """{"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}"""),
                     ("/v1/chat/completions", """{"model":"gpt-4o-mini","messages":"broken"}"""),
                 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-TokenOps-Project", "Checkout, EU");
            request.Headers.Add("X-TokenOps-Feature", "assistant");
            request.Headers.Add("X-TokenOps-Ticket", "PAY-7");
            request.Headers.Add("X-TokenOps-Tags", "note=say \"hi\",env=prod");
            if (path == "/v1/messages") request.Headers.Add("anthropic-version", "2023-06-01");
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsStringAsync();
        }
        Assert.Equal(5, (await gateway.LedgerAsync(5)).Count);

        // Rows on the period's edges: the first instant of this month is in it, the first instant of next month and last month are not.
        var now = DateTimeOffset.UtcNow;
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        LedgerEntry Row(string id, DateTimeOffset at, long nanos) => new()
        {
            Id = id, StartedAt = at, EndedAt = at.AddSeconds(1), Route = "openai.chat", Person = "bob", Team = "edge", Provider = "openai",
            RequestedModel = "gpt-4o", ServedModel = "gpt-4o", Usage = new TokenUsage { UncachedInput = 10, Output = 5 },
            Cost = new CostBreakdown { UncachedInput = NanoUsd.ToUsd(nanos - 1), Output = NanoUsd.ToUsd(1) }, Status = 200, Outcome = LedgerOutcome.Ok,
        };
        gateway.App.Services.GetRequiredService<TokenOps.Core.Ledger.ILedgerStore>().Write(
        [
            Row("evt_edge_first", month, 1_000_000_007), Row("evt_edge_next", month.AddMonths(1), 5_000), Row("evt_edge_prev", month.AddTicks(-1), 7_000),
        ]);
        return (gateway, month);
    }

    [Fact]
    public async Task ExportFocus_WritesFocus12Csv_WhoseTotalIsTheLedgers_ForThePeriodOnly()
    {
        var (gateway, month) = await LedgerWithTrafficAsync();
        await using var _ = gateway;
        var file = Path.Combine(gateway.DataDirectory, "focus.csv");
        var (code, stdout, stderr) = await CliProcess.RunAsync("export", "focus", "--period", month.ToString("yyyy-MM", CultureInfo.InvariantCulture), "--data", gateway.DataDirectory, "--out", file);
        Assert.True(code == 0, stderr);
        Assert.Equal("", stdout);

        List<string[]> csv;
        using (var reader = new StreamReader(file)) csv = CsvWriter.Read(reader).ToList();
        Assert.Equal(FocusExport.Columns, csv[0]);
        var rows = csv.Skip(1).Select(r => FocusExport.Columns.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.All(csv, r => Assert.Equal(FocusExport.Columns.Count, r.Length));

        var ledger = gateway.App.Services.GetRequiredService<TokenOps.Core.Ledger.ILedgerStore>().Read(month, month.AddMonths(1));
        Assert.Equal(6, ledger.Count); // 5 through the gateway and the first instant of the month
        var billable = ledger.Where(e => e.Usage.Total > 0 || e.CostNanos != 0).Select(e => e.Id).ToHashSet();
        Assert.Equal(billable, rows.Select(r => r["x_request_id"]).ToHashSet());
        Assert.DoesNotContain(rows, r => r["x_request_id"] is "evt_edge_next" or "evt_edge_prev");

        // The bill: the sum of BilledCost equals the ledger's total to the nano-dollar, tokens to the token.
        var billed = rows.Sum(r => decimal.Parse(r["BilledCost"], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture));
        Assert.Equal(NanoUsd.ToUsd(ledger.Sum(e => e.CostNanos)), billed);
        Assert.Equal(ledger.Sum(e => e.Usage.Total), rows.Sum(r => long.Parse(r["ConsumedQuantity"], CultureInfo.InvariantCulture)));
        Assert.Contains(rows, r => r["x_token_class"] == "cache_read");
        Assert.Contains(rows, r => r["x_token_class"] == "reasoning");

        foreach (var r in rows)
        {
            foreach (var column in new[] { "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd" }) Assert.Matches(IsoSecond, r[column]);
            Assert.Equal(month, DateTimeOffset.Parse(r["BillingPeriodStart"], CultureInfo.InvariantCulture));
            Assert.Equal(month.AddMonths(1), DateTimeOffset.Parse(r["BillingPeriodEnd"], CultureInfo.InvariantCulture));
            Assert.True(DateTimeOffset.Parse(r["ChargePeriodEnd"], CultureInfo.InvariantCulture) > DateTimeOffset.Parse(r["ChargePeriodStart"], CultureInfo.InvariantCulture));
            Assert.Equal(("USD", "Usage", "Tokens", "Tokens"), (r["BillingCurrency"], r["ChargeCategory"], r["ConsumedUnit"], r["PricingUnit"]));
            foreach (var cost in new[] { "EffectiveCost", "ListCost", "ContractedCost" }) Assert.Equal(r["BilledCost"], r[cost]);
            Assert.NotEqual("", r["ProviderName"]);
            Assert.NotEqual("", r["ServiceName"]);
            if (r["x_request_id"].StartsWith("evt_edge", StringComparison.Ordinal)) continue;
            // Commas and quotes in person, project and tags come back intact through RFC 4180 quoting.
            Assert.Equal("ada, \"the\" countess", r["x_person"]);
            Assert.Equal(("core", "Checkout, EU", "assistant", "PAY-7", ""), (r["x_team"], r["x_project"], r["x_feature"], r["x_ticket"], r["x_outcome"]));
            using var tags = JsonDocument.Parse(r["Tags"]);
            Assert.Equal("say \"hi\"", tags.RootElement.GetProperty("note").GetString());
            Assert.Equal("Checkout, EU", tags.RootElement.GetProperty("tokenops/project").GetString());
        }

        // A range of days: both days included, nothing else.
        var previous = month.AddMonths(-1);
        var range = $"{previous:yyyy-MM-dd}..{month.AddDays(-1):yyyy-MM-dd}";
        var (rangeCode, rangeCsv, rangeErr) = await CliProcess.RunAsync("export", "focus", "--period", range, "--data", gateway.DataDirectory);
        Assert.True(rangeCode == 0, rangeErr);
        var rangeRows = CsvWriter.Read(new StringReader(rangeCsv)).Skip(1).ToList();
        Assert.Equal(2, rangeRows.Count); // evt_edge_prev: uncached_input and output
        Assert.All(rangeRows, r => Assert.Equal("evt_edge_prev", r[FocusExport.ColumnIndex("x_request_id")]));
        Assert.Contains("total 0.000007 USD", rangeErr);
    }

    [Fact]
    public async Task ExportCsv_WritesOneLinePerLedgerRow_AndBadArgumentsExitWith2()
    {
        var (gateway, month) = await LedgerWithTrafficAsync();
        await using var _ = gateway;
        var (code, stdout, stderr) = await CliProcess.RunAsync("export", "csv", "--data", gateway.DataDirectory, "--since", month.ToString("O", CultureInfo.InvariantCulture));
        Assert.True(code == 0, stderr);
        var csv = CsvWriter.Read(new StringReader(stdout)).ToList();
        Assert.Equal(LedgerCsv.Columns, csv[0]);
        var ledger = gateway.App.Services.GetRequiredService<TokenOps.Core.Ledger.ILedgerStore>().Read(month);
        Assert.Equal(ledger.Select(e => e.Id), csv.Skip(1).Select(r => r[0]));
        var nanos = LedgerCsv.Columns.ToList().IndexOf("cost_nanos");
        Assert.Equal(ledger.Sum(e => e.CostNanos), csv.Skip(1).Sum(r => long.Parse(r[nanos], CultureInfo.InvariantCulture)));
        Assert.Contains(csv.Skip(1), r => r[LedgerCsv.Columns.ToList().IndexOf("person")] == "ada, \"the\" countess");

        var (bounded, boundedOut, _) = await CliProcess.RunAsync("export", "csv", "--data", gateway.DataDirectory,
            "--since", month.AddMonths(-1).ToString("O", CultureInfo.InvariantCulture), "--until", month.ToString("O", CultureInfo.InvariantCulture));
        Assert.Equal(0, bounded);
        Assert.Equal(["evt_edge_prev"], CsvWriter.Read(new StringReader(boundedOut)).Skip(1).Select(r => r[0]));

        var (badPeriod, _, badErr) = await CliProcess.RunAsync("export", "focus", "--period", "2026-13", "--data", gateway.DataDirectory);
        Assert.Equal(2, badPeriod);
        Assert.Contains("--period", badErr);
        var (missing, _, _) = await CliProcess.RunAsync("export", "focus", "--data", gateway.DataDirectory);
        Assert.Equal(2, missing);
    }
}
