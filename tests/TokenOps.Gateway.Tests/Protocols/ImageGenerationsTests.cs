using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Images;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>
/// POST /v1/images/generations through the one pipeline, called with the official OpenAI SDK where it can: priced per
/// image at the catalog variant of the request's size and quality, or in image tokens (gpt-image-1); n images reserved.
/// Figures are worked by hand from the bundled snapshot.
/// </summary>
public sealed class ImageGenerationsTests(SharedGateway shared) : IClassFixture<SharedGateway>
{
    private ImageClient Images(string model, string key) => new(model, new ApiKeyCredential(key), shared.OpenAIOptions());

    [Fact]
    public async Task DallE2_ThreeSmallImages_ArePricedAtTheSizeVariant_ViaTheSdk()
    {
        var gateway = shared.Gateway;
        var key = gateway.CreateKey("ines", "design");
        GeneratedImageCollection images = await Images("dall-e-2", key).GenerateImagesAsync("A lighthouse at dawn", 3,
            new ImageGenerationOptions { Size = GeneratedImageSize.W256xH256, ResponseFormat = GeneratedImageFormat.Uri });
        Assert.Equal(3, images.Count);
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "ines");
        Assert.Equal(("openai.images", "dall-e-2", 3L), (row.Route, row.ServedModel, row.Usage.Images));
        // 256-x-256/dall-e-2: input_cost_per_pixel 2.4414e-07 x 256 x 256 = 0.01599995904 per image, three of them.
        Assert.Equal(0.047999877m, row.Cost.Images); // 0.04799987712, stored to the nano-dollar
        Assert.Equal(47_999_877L, row.CostNanos);
    }

    [Fact]
    public async Task DallE3_Hd_IsPricedAtItsQualityVariant_AndTheHoldIsThatPrice()
    {
        var gateway = shared.Gateway;
        using var http = gateway.Client(gateway.CreateKey("juan", "design"));
        using var response = await http.PostAsync("/v1/images/generations", new StringContent(
            """{"model":"dall-e-3","prompt":"A ledger, drawn in ink","size":"1024x1024","quality":"hd"}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using (var doc = JsonDocument.Parse(body))
            Assert.Single(doc.RootElement.GetProperty("data").EnumerateArray());
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "juan");
        // hd/1024-x-1024/dall-e-3: 7.629e-08 x 1024 x 1024 = 0.07999586304.
        Assert.Equal(79_995_863L, row.CostNanos);
        Assert.Equal(1, row.Usage.Images);
        Assert.False(row.Estimated);
        if (response.Headers.TryGetValues(AdmitStage.HeldHeader, out var held))
            Assert.Equal(0.079996m, decimal.Parse(held.Single(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task GptImage1_IsPricedInImageTokens_FromItsUsage()
    {
        var gateway = shared.Gateway;
        var key = gateway.CreateKey("kai", "design");
        GeneratedImage image = await Images("gpt-image-1", key).GenerateImageAsync("A small red kite");
        Assert.NotNull(image.ImageBytes);
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "kai");
        var bill = Assert.Single(gateway.Bill.Entries, e => e.Usage.ImageOutput > 0 && e.Model == "gpt-image-1");
        Assert.Equal(bill.Usage, row.Usage);
        // Quality auto = medium at 1024x1024: 1,056 image tokens at 4e-5; the prompt's text tokens at 5e-6.
        Assert.Equal(1056, row.Usage.ImageOutput);
        Assert.Equal(1056 * 4e-5m, row.Cost.ImageOutput);
        Assert.Equal(row.Usage.UncachedInput * 5e-6m, row.Cost.UncachedInput);
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
    }

    [Fact]
    public async Task NImages_AreReserved_SoABudgetForOneRefusesFour()
    {
        // dall-e-2 at 1024x1024 (1024-x-1024/dall-e-2): 1.9e-08 x 1024 x 1024 per image, about 0.0199 USD.
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["lea"] = new BudgetOptions { LimitUsd = 0.03m, Period = "daily", Mode = "hard" });
        using var http = gateway.Client(gateway.CreateKey("lea", "design"));
        using var four = await http.PostAsync("/v1/images/generations", new StringContent("""{"prompt":"four cats","n":4}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.PaymentRequired, four.StatusCode);
        using var one = await http.PostAsync("/v1/images/generations", new StringContent("""{"prompt":"one cat"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        var rows = await gateway.LedgerAsync(2);
        Assert.Equal([0L, 1L], rows.Select(r => r.Usage.Images).Order());
        Assert.Single(gateway.Bill.Entries);
    }

    [Theory]
    [InlineData("""{"model":"dall-e-3"}""", "missing_field", "prompt")]
    [InlineData("""{"model":"gpt-image-1","prompt":"x","stream":true}""", "unsupported_value", "stream")]
    [InlineData("""{"prompt":"x","n":11}""", "invalid_value", "n")]
    [InlineData("""{"prompt":"x","size":1024}""", "invalid_type", "size")]
    public async Task BadInput_Is400_InTheOpenAIShape(string json, string code, string param)
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/images/generations", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal((code, param), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Single(await gateway.LedgerAsync(1));
    }
}
