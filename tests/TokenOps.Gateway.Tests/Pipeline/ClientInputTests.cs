using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>No client input gets a 5xx: extreme periods, weeks, limits and cursors are 4xx with a body that says why.</summary>
public sealed class ClientInputTests
{
    public static TheoryData<string> BadQueries => new()
    {
        "/api/dashboard/overview?period=9999-12", "/api/dashboard/overview?period=0001-01", "/api/dashboard/overview?period=9999-12-31",
        "/api/dashboard/overview?period=9998-01-01..9999-12-31",
        "/api/dashboard/team/core?period=9999-12", "/api/dashboard/person/ada?period=9999-12-31", "/api/dashboard/requests?period=9999-12",
        "/api/dashboard/savings?period=9999-12", "/api/dashboard/filters?period=9999-12", "/api/dashboard/feed/outcomes?period=9999-12",
        "/api/dashboard/feed/alerts?period=9999-12",
        "/admin/poker?week=9999-12-27", "/admin/poker?week=0001-01-01", "/admin/poker?week=9999-12-31",
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task OutOfRangeQueries_Are400WithAJsonBody(string path)
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Poker.Enabled = true);
        using var http = gateway.Client(GatewayFixture.AdminToken);
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        Assert.False(string.IsNullOrWhiteSpace(doc.RootElement.GetProperty("error").GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("9999-12-27")]
    [InlineData("0001-01-01")]
    public async Task PlayerPoker_WithAnExtremeWeek_Is400(string week)
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Poker.Enabled = true);
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.GetAsync($"/v1/tokenops/poker?week={week}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid_week", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("1e30")]
    [InlineData("1e20")]
    [InlineData("9300000000")]
    [InlineData("\"NaN\"")]
    [InlineData("\"Infinity\"")]
    [InlineData("79228162514264337593543950335")]
    public async Task AdminBudget_WithAnExtremeLimit_Is400WithAMessage(string limit)
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(GatewayFixture.AdminToken);
        using var response = await http.PutAsync("/admin/budgets",
            new StringContent($$"""{"level":"person","name":"ada","limitUsd":{{limit}},"period":"monthly"}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{limit}: {(int)response.StatusCode} {body}");
        Assert.Contains("limitUsd", body, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("79228162514264337593543950335")]
    [InlineData("10000000000")]
    public async Task CliBudget_WithAnExtremeLimit_ExitsTwo(string limit)
    {
        var dir = Path.Combine(Path.GetTempPath(), "tokenops-tests", Guid.NewGuid().ToString("N"));
        var (code, _, stderr) = await CliProcess.RunAsync("budgets", "set", "--person", "ada", "--limit", limit, "--data", dir);
        Assert.True(code == 2, $"{limit}: exit {code}, {stderr}");
        Assert.StartsWith("tokenops: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Theory]
    [InlineData("export", "focus", "--period", "9999-12")]
    [InlineData("report", "--by", "team", "--period", "9999-12")]
    [InlineData("report", "--by", "outcome", "--period", "9999-12-31")]
    [InlineData("poker", "--week", "9999-12-27")]
    public async Task Cli_WithAnOutOfRangePeriodOrWeek_ExitsTwoWithOneLine(params string[] args)
    {
        var dir = Path.Combine(Path.GetTempPath(), "tokenops-tests", Guid.NewGuid().ToString("N"));
        var (code, _, stderr) = await CliProcess.RunAsync([.. args, "--data", dir]);
        Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}, {stderr}");
        Assert.StartsWith("tokenops: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task ABodyEndingBeforeItsContentLength_IsIncompleteBody_RecordedAsClientAborted()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var key = gateway.CreateKey();
        using var client = new TcpClient();
        await client.ConnectAsync(gateway.BaseUrl.Host, gateway.BaseUrl.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"model\":\"gpt-4o-mini\""));
        client.Client.Shutdown(SocketShutdown.Send);
        var answer = "";
        try { answer = await new StreamReader(stream).ReadToEndAsync(); }
        catch (IOException) { } // Kestrel may reset a connection whose body ended early

        // Kestrel usually drops a connection whose body ended early; if the answer gets through, it says why.
        if (answer.Length > 0) Assert.Contains("incomplete_body", answer);
        Assert.DoesNotContain(" 500 ", answer);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        // Whether Kestrel flags the connection aborted before the read fails is a race; either way the client cut it short.
        Assert.Equal(LedgerOutcome.ClientAborted, row.Outcome);
        Assert.Contains((row.Status, row.ErrorCode), new (int, string?)[] { (400, "incomplete_body"), (499, "client_aborted") });
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
    }
}
