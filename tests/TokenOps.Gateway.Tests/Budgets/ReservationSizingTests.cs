using System.Globalization;
using System.Net;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Budgets;

/// <summary>
/// Far from a limit a reservation is sized by the body's byte count (no tokenizer on the hot path); near a limit the
/// tokenizer counts exactly, so a request that fits is not refused because of the cheap bound.
/// </summary>
public sealed class ReservationSizingTests
{
    // A long prompt, so that the byte bound and the exact count differ by far more than the header's 6 decimals.
    private static readonly string Prompt = string.Join(' ', Enumerable.Repeat("Summarise the budget policy in two sentences.", 400));

    private static readonly string Body = $$"""{"model":"gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"{{Prompt}}"}]}""";

    private static async Task<(HttpStatusCode Status, long RemainingNanos, long BodyBytes)> SendAsync(GatewayFixture gateway, long limitNanos)
    {
        using var http = gateway.Client(gateway.CreateKey("ada", "core"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(Body, System.Text.Encoding.UTF8, "application/json"),
        };
        var bodyBytes = (await request.Content!.ReadAsByteArrayAsync()).Length;
        using var response = await http.SendAsync(request);
        // What the budget has left once this request's worst-case hold is counted: the limit less the held header.
        var remaining = response.Headers.TryGetValues(AdmitStage.HeldHeader, out var v)
            ? limitNanos - NanoUsd.FromUsd(decimal.Parse(v.Single(), CultureInfo.InvariantCulture)) : -1;
        return (response.StatusCode, remaining, bodyBytes);
    }

    [Fact]
    public async Task FarFromTheLimit_TheByteBoundSizesTheReservation()
    {
        const decimal limit = 1000m;
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = limit, Period = "daily" });
        var (status, remaining, bytes) = await SendAsync(gateway, NanoUsd.FromUsd(limit));
        Assert.Equal(HttpStatusCode.OK, status);
        BundledCatalog.Load().TryGet("gpt-4o-mini", out var price);
        var bound = ReservationMath.WorstCaseNanos(price!, bytes + bytes / 4 + 32, 64);
        // The header shows USD to 6 decimals (1,000 nano-USD).
        Assert.InRange(remaining, NanoUsd.FromUsd(limit) - bound - 1_000, NanoUsd.FromUsd(limit) - bound + 1_000);
    }

    [Fact]
    public async Task NearTheLimit_TheTokenizerCountsExactly_AndARequestThatFitsIsServed()
    {
        BundledCatalog.Load().TryGet("gpt-4o-mini", out var price);
        var counted = (long)new TokenCounter().Count("gpt-4o-mini", Prompt);
        var exact = ReservationMath.WorstCaseNanos(price!, counted + counted / 4 + 32, 64);
        // Room for the exact worst case and a little more, but far less than 8x the byte bound: the cheap path is not taken.
        var limitNanos = exact + 10_000;
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = NanoUsd.ToUsd(limitNanos), Period = "daily" });
        var (status, remaining, bytes) = await SendAsync(gateway, limitNanos);
        Assert.True(ReservationMath.WorstCaseNanos(price!, bytes + bytes / 4 + 32, 64) > limitNanos, "the byte bound alone would have been refused");
        Assert.Equal(HttpStatusCode.OK, status);
        // The prompt's count, plus the few tokens of the other fields ("user", the model name, max_tokens), each at
        // about 190 nano-USD with the margin: the header shows USD to 6 decimals (1,000 nano-USD).
        Assert.InRange(remaining, limitNanos - exact - 5_000, limitNanos - exact + 1_000);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheRemainingHeader_IsWhatTheNextRequestHas_NotWhatIsLeftAfterThisRequestsHold(bool stream)
    {
        // Review finding: with $0.019 left, a request's worst-case hold made the header read $0.000006.
        const decimal limit = 0.02m;
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = limit, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey("ada", "core"));
        var body = stream ? Body.Replace("{", "{\"stream\":true,\"stream_options\":{\"include_usage\":true},", StringComparison.Ordinal) : Body;
        async Task<(long Remaining, long Held)> Send()
        {
            using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsStringAsync();
            long Read(string name) => NanoUsd.FromUsd(decimal.Parse(response.Headers.GetValues(name).Single(), CultureInfo.InvariantCulture));
            return (Read(AdmitStage.RemainingHeader), Read(AdmitStage.HeldHeader));
        }
        var first = await Send();
        var rows = await gateway.LedgerAsync(1);
        var spent = rows.Sum(r => r.CostNanos);
        Assert.True(first.Held > spent + 1_000, "the hold is the worst case, above what the answer cost");
        // A non-streamed answer is settled before its headers go: the header is the limit less this request's cost.
        // A stream's headers go before its answer: the remainder before this request (its hold not counted as spent).
        var expected = stream ? NanoUsd.FromUsd(limit) : NanoUsd.FromUsd(limit) - spent;
        Assert.InRange(first.Remaining, expected - 1_000, expected + 1_000); // the header shows USD to 6 decimals
        var second = await Send();
        var both = (await gateway.LedgerAsync(2)).Sum(r => r.CostNanos);
        expected = NanoUsd.FromUsd(limit) - (stream ? spent : both);
        Assert.InRange(second.Remaining, expected - 1_000, expected + 1_000);
    }
}
