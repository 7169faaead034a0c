using Microsoft.Playwright;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>The dashboard in headless Chromium: a page signed in with a key, its console and page errors collected.</summary>
internal static class DashboardPages
{
    public static async Task<(IPage Page, List<string> Errors)> SignedInAsync(IBrowser browser, Uri baseUrl, string key)
    {
        var context = await browser.NewContextAsync(new() { BaseURL = baseUrl.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add(m.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add("pageerror: " + e); };
        await page.GotoAsync("/");
        await page.FillAsync("#signin-key", key);
        await page.ClickAsync("#signin button[type=submit]");
        await page.WaitForSelectorAsync("#top:not([hidden])");
        return (page, errors);
    }
}
