using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>
/// POST /v1/completions (legacy and fill-in-the-middle clients) through the one pipeline: priced as text tokens, every
/// generated choice (prompts x best_of) billed and reserved, streams metered from the usage chunk TokenOps asks for.
/// The official OpenAI .NET SDK has no legacy completions client, so these calls are raw HTTP in the API's shape.
/// </summary>
public sealed class CompletionsTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("gpt-3.5-turbo-instruct", 1.5e-6, 2e-6)]
    [InlineData("davinci-002", 2e-6, 2e-6)]
    public async Task AFillInTheMiddleCompletion_IsPricedAsTextTokens_AndMatchesTheBill(string model, double input, double output)
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/completions", Json(
            $$"""{"model":"{{model}}","prompt":"def fib(n):\n    ","suffix":"\n    return a","max_tokens":40}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("text_completion", doc.RootElement.GetProperty("object").GetString());
        var choice = Assert.Single(doc.RootElement.GetProperty("choices").EnumerateArray());
        Assert.False(string.IsNullOrEmpty(choice.GetProperty("text").GetString()));
        var usage = doc.RootElement.GetProperty("usage");

        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(("openai.completions", model, false), (row.Route, row.ServedModel, row.Estimated));
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt64(), row.Usage.UncachedInput);
        Assert.Equal(usage.GetProperty("completion_tokens").GetInt64(), row.Usage.Output);
        Assert.Equal(row.Usage.UncachedInput * (decimal)input + row.Usage.Output * (decimal)output, row.Cost.Total);
        Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), row.CostNanos);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AStream_IsMeteredFromTheUsageChunk_WhichOnlyAClientThatAskedSees(bool clientAsked)
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        var options = clientAsked ? ""","stream_options":{"include_usage":true}""" : "";
        using var response = await http.PostAsync("/v1/completions", Json(
            $$"""{"model":"gpt-3.5-turbo-instruct","prompt":"Once upon a time","max_tokens":30,"stream":true{{options}}}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        Assert.Equal(clientAsked, chunks.Any(c => c.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object));
        var text = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.NotEmpty(text);

        var row = Assert.Single(await gateway.LedgerAsync(1));
        var billed = Assert.Single(gateway.Bill.Entries);
        Assert.Equal((true, false), (row.Streamed, row.Estimated));
        Assert.Equal((billed.Usage.UncachedInput, billed.Usage.Output), (row.Usage.UncachedInput, row.Usage.Output));
        Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), row.CostNanos);
    }

    [Fact]
    public async Task SeveralPrompts_N_AndBestOf_AreEachBilled_AndTheReservationHoldsThemAll()
    {
        const decimal limit = 1000m;
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = limit, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        const string json = """{"model":"gpt-3.5-turbo-instruct","prompt":["Say hi","Say bye"],"n":2,"best_of":3,"max_tokens":25}""";
        using var response = await http.PostAsync("/v1/completions", Json(json));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var doc = JsonDocument.Parse(body);
        // n returned per prompt, best_of generated per prompt.
        Assert.Equal(4, doc.RootElement.GetProperty("choices").GetArrayLength());
        var billed = Assert.Single(gateway.Bill.Entries);
        Assert.Equal(0, billed.Usage.Output % 6);

        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(billed.Usage.Output, row.Usage.Output);
        Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), row.CostNanos);
        // The hold: the body's byte bound of input, and 25 tokens for each of the 2 x 3 generated choices.
        BundledCatalog.Load().TryGet("gpt-3.5-turbo-instruct", out var price);
        var bytes = Encoding.UTF8.GetByteCount(json);
        var held = NanoUsd.FromUsd(decimal.Parse(response.Headers.GetValues(AdmitStage.HeldHeader).Single(), CultureInfo.InvariantCulture));
        var expected = ReservationMath.WorstCaseNanos(price!, bytes + bytes / 4 + 32, 25 * 6);
        Assert.InRange(held, expected - 1_000, expected + 1_000);
    }

    [Fact]
    public async Task WithoutMaxTokens_TheApisDefaultOf16PerChoiceIsReserved_NotTheModelsWholeLimit()
    {
        BundledCatalog.Load().TryGet("gpt-3.5-turbo-instruct", out var price);
        const string json = """{"model":"gpt-3.5-turbo-instruct","prompt":"Hello"}""";
        var bytes = Encoding.UTF8.GetByteCount(json);
        // Room for 16 output tokens but far from the model's 4,096: a whole-limit hold would be refused.
        var limitNanos = ReservationMath.WorstCaseNanos(price!, bytes + bytes / 4 + 32, 16) + 2_000;
        Assert.True(ReservationMath.WorstCaseNanos(price!, bytes + bytes / 4 + 32, 4096) > limitNanos);
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = NanoUsd.ToUsd(limitNanos), Period = "daily", Mode = "hard" });
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/completions", Json(json));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.InRange(row.Usage.Output, 1, 16);
    }

    [Theory]
    [InlineData("""{"model":"gpt-3.5-turbo-instruct"}""", "missing_field", "prompt")]
    [InlineData("""{"model":"gpt-3.5-turbo-instruct","prompt":[]}""", "invalid_value", "prompt")]
    [InlineData("""{"model":"gpt-3.5-turbo-instruct","prompt":["a",1]}""", "invalid_value", "prompt")]
    [InlineData("""{"model":"gpt-3.5-turbo-instruct","prompt":"a","suffix":3}""", "invalid_type", "suffix")]
    [InlineData("""{"model":"gpt-3.5-turbo-instruct","prompt":"a","n":3,"best_of":2}""", "invalid_value", "best_of")]
    [InlineData("""{"model":"gpt-3.5-turbo-instruct","prompt":"a","best_of":2,"stream":true}""", "invalid_value", "best_of")]
    public async Task BadInput_Is400_InTheOpenAIShape_AndLeavesOneRow(string json, string code, string param)
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/completions", Json(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal((code, param), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(("openai.completions", 0L), (row.Route, row.CostNanos));
        Assert.Empty(gateway.Bill.Entries);
    }

    [Fact]
    public async Task TokenIdPrompts_AreCountedAsTokens()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/completions", Json("""{"model":"babbage-002","prompt":[[1,2,3,4,5],[6,7]],"max_tokens":5}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(7, row.Usage.UncachedInput);
        Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), row.CostNanos);
    }
}
