using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Pricing;

/// <summary>A running gateway prices with the catalog `prices update` stores, without a restart.</summary>
public sealed class CatalogUpdateGatewayTests
{
    private static StringContent Message(string model) => new(
        $$"""{"model":"{{model}}","max_tokens":32,"messages":[{"role":"user","content":"hello there"}]}""", Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, string Body, string? Id)> SendAsync(HttpClient http, string model)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = Message(model) };
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(),
            response.Headers.TryGetValues("X-TokenOps-Request-Id", out var ids) ? ids.Single() : null);
    }

    [Fact]
    public async Task A_model_absent_from_the_bundled_catalog_is_served_after_prices_update()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());

        var (status, body, _) = await SendAsync(http, CatalogFiles.NewModel);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("model_not_priced", body);

        var updated = CatalogFiles.Updated();
        var file = CatalogFiles.Write(Path.Combine(gateway.DataDirectory, "downloads"), "litellm.json", updated);
        var (code, stdout, stderr) = await CliProcess.RunAsync("prices", "update", "--from", file, "--data", gateway.DataDirectory);
        Assert.True(code == 0, stderr);
        Assert.Contains($"+ {CatalogFiles.NewModel}", stdout);

        // The gateway polls the catalog pointer once a second.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        string? id;
        do
        {
            (status, body, id) = await SendAsync(http, CatalogFiles.NewModel);
            if (status == HttpStatusCode.OK || DateTime.UtcNow > deadline) break;
            await Task.Delay(200);
        } while (true);
        Assert.True(status == HttpStatusCode.OK, body);

        var row = (await gateway.LedgerAsync()).Single(r => r.Id == id);
        Assert.Equal((CatalogFiles.NewModel, CatalogFiles.Version(updated), false), (row.ServedModel, row.CatalogVersion, row.PriceEstimated));
        Assert.True(row.Usage.Output > 0);
        // The provider's bill agrees once the simulator prices with the same catalog.
        var bill = gateway.Bill.Entries.Single(e => e.Model == CatalogFiles.NewModel);
        Assert.Equal(NanoUsd.FromUsd(CostCalculator.Compute(PriceCatalog.Load(updated).All.Single(p => p.Model == CatalogFiles.NewModel), bill.Usage).Total), row.CostNanos);
    }

    [Fact]
    public async Task A_gateway_started_after_an_update_prices_with_the_stored_catalog_and_its_rows_name_that_version()
    {
        var data = Path.Combine(Path.GetTempPath(), "tokenops-tests", Guid.NewGuid().ToString("N"));
        var updated = CatalogFiles.Updated();
        var (code, _, stderr) = await CliProcess.RunAsync("prices", "update", "--from", CatalogFiles.Write(data, "c.json", updated), "--data", data);
        Assert.True(code == 0, stderr);

        await using var gateway = await GatewayFixture.StartAsync(o => o.DataDirectory = data);
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(CatalogFiles.Version(updated), row.CatalogVersion);
        Assert.Equal(NanoUsd.FromUsd(row.Usage.Output * 0.0000009m), NanoUsd.FromUsd(row.Cost.Output)); // the updated $0.90, not the bundled $0.60
    }
}
