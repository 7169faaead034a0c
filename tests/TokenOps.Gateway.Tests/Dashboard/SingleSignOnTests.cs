using System.Net;
using Microsoft.Playwright;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>
/// Dashboard single sign-on, driven in headless Chromium against a throwaway OpenID Connect provider on loopback: the
/// authorization code flow with PKCE, the id token checked against the provider's keys, and the role from its groups
/// claim (developer, lead of a team, finance, admin). The audit page shows the trail to admins and finance only.
/// </summary>
public sealed class SingleSignOnTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static async Task<GatewayFixture> GatewayFor(TestOpenIdProvider idp) => await GatewayFixture.StartAsync(o =>
    {
        o.Dashboard.Oidc = new OidcOptions
        {
            Authority = idp.Issuer.ToString().TrimEnd('/'),
            ClientId = TestOpenIdProvider.ClientId,
            DisplayName = "Test IdP",
            RequireHttpsMetadata = false,
            AdminGroups = ["tokenops-admins"],
            FinanceGroups = ["finance"],
            LeadGroups = new() { ["payments"] = ["payments-leads"] },
        };
    });

    private static async Task<IPage> SignInAsync(IBrowser browser, Uri gateway, string user)
    {
        var context = await browser.NewContextAsync(new() { BaseURL = gateway.ToString() });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync("/");
        await page.ClickAsync("[data-testid=sso]");
        await page.WaitForSelectorAsync("text=Test IdP");
        await page.ClickAsync($"button[value={user}]");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(gateway.ToString())));
        return page;
    }

    [Fact]
    public async Task People_sign_in_with_the_provider_and_get_the_role_their_groups_give()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is required for the browser tests: {Chromium} is missing.");
        await using var idp = await TestOpenIdProvider.StartAsync();
        idp.Users["ada"] = ["engineering"];
        idp.Users["lena"] = ["engineering", "payments-leads"];
        idp.Users["fiona"] = ["finance"];
        idp.Users["ghost"] = ["engineering"];
        await using var gateway = await GatewayFor(idp);
        gateway.CreateKey("ada", "payments");
        gateway.CreateKey("lena", "payments");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });

        var ada = await SignInAsync(browser, gateway.BaseUrl, "ada");
        await ada.WaitForSelectorAsync("#top:not([hidden])");
        Assert.Equal("ada · payments · developer", await ada.TextContentAsync("[data-testid=who]"));
        Assert.True(await ada.IsHiddenAsync("#nav-audit"));
        // The session is TokenOps' own cookie: the API answers the developer's scope and refuses the audit trail.
        var me = await ada.EvaluateAsync<string>("() => fetch('/api/dashboard/audit').then(r => String(r.status))");
        Assert.Equal("403", me);

        var lena = await SignInAsync(browser, gateway.BaseUrl, "lena");
        await lena.WaitForSelectorAsync("#top:not([hidden])");
        Assert.Equal("lena · payments · team lead", await lena.TextContentAsync("[data-testid=who]"));

        var fiona = await SignInAsync(browser, gateway.BaseUrl, "fiona");
        await fiona.WaitForSelectorAsync("#top:not([hidden])");
        Assert.Equal("fiona · finance", await fiona.TextContentAsync("[data-testid=who]"));
        await fiona.ClickAsync("#nav-audit");
        var chain = await fiona.WaitForSelectorAsync("[data-testid=audit-chain]");
        Assert.StartsWith("Chain verified: 2 entries", await chain!.TextContentAsync());
        var entries = await fiona.TextContentAsync("[data-testid=audit-entries]");
        Assert.Contains("keys.create", entries);
        Assert.Contains("key:", entries);

        // Someone the provider knows but TokenOps cannot place in a team is sent back with the reason.
        var ghost = await SignInAsync(browser, gateway.BaseUrl, "ghost");
        await ghost.WaitForSelectorAsync("#signin:not([hidden])");
        Assert.Contains("does not know 'ghost'", await ghost.TextContentAsync("#signin-error"));

        // Every sign-in exchanged its code with the PKCE verifier; none was refused.
        Assert.Equal((4, 0), (idp.PkceVerified, idp.Refused));
    }

    [Fact]
    public async Task A_forged_or_replayed_callback_opens_no_session()
    {
        await using var idp = await TestOpenIdProvider.StartAsync();
        idp.Users["ada"] = ["tokenops-admins"];
        await using var gateway = await GatewayFor(idp);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = gateway.BaseUrl };
        // A callback nobody started (no correlation cookie, made-up code and state): refused, and no session cookie set.
        using var forged = await http.GetAsync("/signin-oidc?code=abc&state=made-up");
        Assert.Equal(HttpStatusCode.Redirect, forged.StatusCode);
        Assert.Contains("sso_error", forged.Headers.Location!.ToString());
        Assert.False(forged.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("tokenops_session=", StringComparison.Ordinal)));
        Assert.Equal(0, idp.PkceVerified);
        // The start of a sign-in sends the browser to the provider with a PKCE challenge and a nonce.
        using var start = await http.GetAsync("/api/dashboard/sso");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var location = start.Headers.Location!.ToString();
        Assert.StartsWith(idp.Issuer.ToString().TrimEnd('/') + "/authorize?", location);
        Assert.Contains("code_challenge_method=S256", location);
        Assert.Contains("nonce=", location);

        // No authentication middleware runs for the proxied routes (one that did would authenticate the provider's scheme
        // on every request): a model call goes through untouched.
        using var client = gateway.Client(gateway.CreateKey("bo", "core"));
        using var chat = await client.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }
}
