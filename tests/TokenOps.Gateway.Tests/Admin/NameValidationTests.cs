using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Admin;

/// <summary>The admin API and the CLI refuse names with control or invisible characters, naming the field; other letters are fine.</summary>
public sealed class NameValidationTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    public static TheoryData<string> BadNames => new()
    {
        "ada\nX-Injected: 1", "ada\r\n", "\nada", "ad\ta", "ada\0", "ada\u001b[31m", "ada\u007f", "ada\u0085",
        "ada\u202Eevil", "ada\u200B", "ada\u2066", "ada\uFEFF", "ada\u2028",
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task AdminApi_RefusesTheName_NamingTheField(string bad)
    {
        using var admin = _gateway.Client(GatewayFixture.AdminToken);
        await AssertRefused(await admin.PostAsJsonAsync("/admin/keys", new { person = bad, team = "core" }), "person");
        await AssertRefused(await admin.PostAsJsonAsync("/admin/keys", new { person = "ada", team = bad }), "team");
        await AssertRefused(await admin.PutAsJsonAsync("/admin/budgets", new { level = "person", name = bad, limitUsd = 5 }), "name");
        await AssertRefused(await admin.PutAsJsonAsync("/admin/budgets", new { level = "project", name = bad, limitUsd = 5 }), "name");
        using var outcome = await admin.PostAsJsonAsync("/admin/outcomes", new { type = "feature", title = "Cart", person = bad, valueUsd = 10 });
        Assert.Equal(HttpStatusCode.BadRequest, outcome.StatusCode);
        Assert.Empty(_gateway.Keys.People());
        Assert.DoesNotContain(await admin.GetStringAsync("/admin/budgets"), "ada");
    }

    [Fact]
    public async Task AdminApi_AcceptsLettersOfAnyScript_ButNotAnInvisibleCharacterBesideThem()
    {
        using var admin = _gateway.Client(GatewayFixture.AdminToken);
        foreach (var (person, team) in new[] { ("josé", "équipe"), ("山田", "開発"), ("Zoë O'Brien-Łukasz", "core") })
        {
            using var created = await admin.PostAsJsonAsync("/admin/keys", new { person, team });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            using var budget = await admin.PutAsJsonAsync("/admin/budgets", new { level = "person", name = person, limitUsd = 5 });
            Assert.Equal(HttpStatusCode.OK, budget.StatusCode);
            // The same name with a zero-width space or a right-to-left override looks identical, and is refused.
            await AssertRefused(await admin.PostAsJsonAsync("/admin/keys", new { person = person + "\u200B", team }), "person");
            await AssertRefused(await admin.PutAsJsonAsync("/admin/budgets", new { level = "team", name = "\u202E" + team, limitUsd = 5 }), "name");
        }
        Assert.Equal(3, _gateway.Keys.People().Count);
    }

    [Theory]
    [InlineData("keys", "create", "--person", "ada\nb", "--team", "core")]
    [InlineData("keys", "create", "--person", "ada", "--team", "co\u202Ere")]
    [InlineData("budgets", "set", "--person", "ada\r\nb", "--limit", "5")]
    [InlineData("budgets", "set", "--team", "co\u200Bre", "--limit", "5")]
    public async Task Cli_RefusesTheName_OneLineExit2(params string[] args)
    {
        var dir = Path.Combine(Path.GetTempPath(), "tokenops-names", Guid.NewGuid().ToString("N"));
        var (exit, stdout, stderr) = await CliProcess.RunAsync([.. args, "--data", dir]);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("tokenops: ", stderr);
        Assert.Contains("control or invisible", stderr);
        Assert.DoesNotContain("tok_", stdout);
    }

    private static async Task AssertRefused(HttpResponseMessage response, string field)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var error = body.RootElement.GetProperty("error");
            Assert.Equal("invalid_name", error.GetProperty("code").GetString());
            Assert.Equal(field, error.GetProperty("param").GetString());
            Assert.DoesNotContain('\n', error.GetProperty("message").GetString()!);
        }
    }
}
