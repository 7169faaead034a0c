using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>Dashboard sessions end with their key, and one principal can never sign another out.</summary>
public sealed class DashboardSessionTests
{
    [Fact]
    public async Task RevokingTheKey_EndsItsSessions_ThroughTheAdminApiAndTheCli()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var (ada, adaSecret) = gateway.Keys.Create("ada", "core");
        var (bob, bobSecret) = gateway.Keys.Create("bob", "core");
        using var adaBrowser = await SignInAsync(gateway, adaSecret);
        using var bobBrowser = await SignInAsync(gateway, bobSecret);
        using var adaSecond = await SignInAsync(gateway, adaSecret);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(adaBrowser));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(bobBrowser));

        using var admin = gateway.Client(GatewayFixture.AdminToken);
        using (var revoked = await admin.DeleteAsync($"/admin/keys/{ada.Id}")) Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(adaBrowser));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(adaSecond));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(bobBrowser));
        Assert.False((await adaBrowser.GetFromJsonAsync<JsonElement>("/api/dashboard/me")).GetProperty("signedIn").GetBoolean());

        // From another process: the CLI writes the revocation to SQLite, and the gateway sees it at the next call.
        var (exit, _, stderr) = await CliProcess.RunAsync("keys", "revoke", bob.Id, "--data", gateway.DataDirectory);
        Assert.True(exit == 0, stderr);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(bobBrowser));
    }

    [Fact]
    public async Task AFullTable_EvictsTheSamePrincipalsOldest_AndNeverAnotherPrincipals()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Dashboard.MaxSessions = 5;
            o.Dashboard.MaxSessionsPerPrincipal = 3;
        });
        var ada = gateway.CreateKey("ada", "core");
        var mallory = gateway.CreateKey("mallory", "core");
        using var adaBrowser = await SignInAsync(gateway, ada);

        // Mallory signs in over and over: each new session past her share replaces her own oldest.
        var mallorys = new List<HttpClient>();
        for (var i = 0; i < 10; i++) mallorys.Add(await SignInAsync(gateway, mallory));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(adaBrowser));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(mallorys[^1]));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(mallorys[0]));

        // The admin token fills the last place; the table is full: the admin's next session replaces the admin's own.
        using var adminBrowser = await SignInAsync(gateway, GatewayFixture.AdminToken);
        using var adminAgain = await SignInAsync(gateway, GatewayFixture.AdminToken);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(adminBrowser));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(adminAgain));

        // A principal with no session in a full table is refused, rather than anyone else signed out.
        var carl = gateway.CreateKey("carl", "core");
        using var carlBrowser = Browser(gateway);
        using var refused = await carlBrowser.PostAsJsonAsync("/api/dashboard/session", new { key = carl });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("too_many_sessions", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(adaBrowser));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(adminAgain));
        foreach (var m in mallorys) m.Dispose();
    }

    [Fact]
    public async Task SignIn_WithANonJsonBody_Is415_WithAClearError()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var key = gateway.CreateKey("ada", "core");
        using var browser = Browser(gateway);
        foreach (var content in new HttpContent[] { new StringContent("key=" + key, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"), new StringContent(key) })
        {
            using var response = await browser.PostAsync("/api/dashboard/session", content);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Equal("unsupported_media_type", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        }
    }

    private static HttpClient Browser(GatewayFixture gateway) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = gateway.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<HttpClient> SignInAsync(GatewayFixture gateway, string secret)
    {
        var browser = Browser(gateway);
        using var response = await browser.PostAsJsonAsync("/api/dashboard/session", new { key = secret });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return browser;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient browser)
    {
        using var response = await browser.GetAsync("/api/dashboard/filters?period=7d");
        return response.StatusCode;
    }
}
