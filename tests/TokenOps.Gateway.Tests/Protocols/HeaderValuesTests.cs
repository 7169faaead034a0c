using System.Net;
using System.Net.Http.Json;
using FsCheck;
using FsCheck.Xunit;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>Names are data, not headers: a header built from a name is encoded, so no name can make the gateway answer 500.</summary>
public sealed class HeaderValuesTests
{
    [Property(MaxTest = 500)]
    public bool Encode_GivesPrintableAscii_ThatDecodesBack(NonNull<string> value)
    {
        var encoded = HeaderValues.Encode(value.Get);
        var printable = encoded.All(c => c is >= ' ' and <= '~');
        // Unpaired surrogates are not text: they come back as U+FFFD; everything else exactly.
        var wellFormed = !value.Get.Where((c, i) => char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < value.Get.Length && char.IsLowSurrogate(value.Get[i + 1]))
            && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(value.Get[i - 1]))).Any();
        return printable && (!wellFormed || Uri.UnescapeDataString(encoded) == value.Get);
    }

    [Theory]
    [InlineData("budget person:ada is past its soft limit", "budget person:ada is past its soft limit")]
    [InlineData("person:josé", "person:jos%C3%A9")]
    [InlineData("a\r\nX-Injected: 1", "a%0D%0AX-Injected: 1")]
    [InlineData("50%", "50%25")]
    [InlineData("t\u202Eab", "t%E2%80%AEab")]
    public void Encode_Examples(string value, string expected) => Assert.Equal(expected, HeaderValues.Encode(value));

    [Fact]
    public async Task ANonAsciiPerson_UnderASoftWarnBudget_Gets200_WithADecodableWarning()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        using var created = await admin.PostAsJsonAsync("/admin/keys", new { person = "josé", team = "équipe" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("key").GetString();
        using var budget = await admin.PutAsJsonAsync("/admin/budgets", new { level = "person", name = "josé", limitUsd = 0.000001m, period = "daily", mode = "soft", softAction = "warn" });
        Assert.Equal(HttpStatusCode.OK, budget.StatusCode);
        using var team = await admin.PutAsJsonAsync("/admin/budgets", new { level = "team", name = "équipe", limitUsd = 0.000001m, period = "daily", mode = "soft", softAction = "warn" });
        Assert.Equal(HttpStatusCode.OK, team.StatusCode);

        using var http = gateway.Client(key);
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.SendAsync(BudgetRequests.Chat());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var warning = response.Headers.GetValues(AdmitStageHeaders.Warning).Single();
            Assert.All(warning, c => Assert.InRange(c, ' ', '~'));
            var decoded = Uri.UnescapeDataString(warning);
            Assert.Matches("budget (person:josé|team:équipe) is past its soft limit", decoded);
        }
        var rows = await gateway.LedgerAsync(3);
        Assert.All(rows, r => Assert.Equal(200, r.Status));
    }
}

internal static class AdmitStageHeaders
{
    public const string Warning = TokenOps.Gateway.Pipeline.AdmitStage.WarningHeader;
}
