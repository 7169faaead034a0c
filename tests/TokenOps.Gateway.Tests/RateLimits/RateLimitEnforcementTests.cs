using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.RateLimits;
using TokenOps.Gateway.Tests.Telemetry;

namespace TokenOps.Gateway.Tests.RateLimits;

/// <summary>
/// Rate limits through the real gateway on a fake clock: 429 with Retry-After in each protocol's error shape, one
/// ledger row and one metric per refusal, tokens per minute from the estimate then the actual count, concurrency
/// held by open streams, and which scope (key, person, team) a request counts against.
/// </summary>
public sealed class RateLimitEnforcementTests
{
    private static RateLimitRuleOptions Rpm(long n) => new() { RequestsPerMinute = n };

    [Fact]
    public async Task RequestsPerMinute_OpenAISdk_Gets429RateLimitError_WithRetryAfter_OneLedgerRowAndMetric_UntilTheNextMinute()
    {
        await using var gateway = await RateLimitGateway.StartAsync(o => o.DefaultPerson = Rpm(2));
        var (_, secret) = gateway.Key("ada", "core");
        var chat = new ChatClient("gpt-4o-mini", new ApiKeyCredential(secret), new OpenAIClientOptions
        {
            Endpoint = new Uri(gateway.App.BaseUrl, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0), NetworkTimeout = TimeSpan.FromSeconds(20),
        });
        await chat.CompleteChatAsync([new UserChatMessage("one")]);
        gateway.Clock.Advance(TimeSpan.FromSeconds(5)); // 12:00:50

        await chat.CompleteChatAsync([new UserChatMessage("two")]);
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("three")]));

        Assert.Equal(429, ex.Status);
        var raw = ex.GetRawResponse()!;
        Assert.True(raw.Headers.TryGetValue("Retry-After", out var retryAfter));
        Assert.Equal("10", retryAfter); // the window ends at 12:01:00
        using (var body = JsonDocument.Parse(raw.Content.ToString()))
        {
            var error = body.RootElement.GetProperty("error");
            Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
            Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
            Assert.Equal("person:ada", error.GetProperty("limit_scope").GetString());
            Assert.Equal("requests_per_minute", error.GetProperty("limit_kind").GetString());
            Assert.Equal(2, error.GetProperty("limit").GetInt64());
            Assert.Equal(10, error.GetProperty("retry_after_seconds").GetInt32());
            Assert.Contains("person 'ada': 2 requests per minute", error.GetProperty("message").GetString());
        }
        Assert.Equal(2, gateway.ProviderCalls);

        var rows = await gateway.LedgerAsync(3);
        Assert.Equal(3, rows.Count);
        var refused = Assert.Single(rows, r => r.Outcome == LedgerOutcome.Refused);
        Assert.Equal((429, "rate_limit_exceeded", "rate_limited:person:ada:requests_per_minute", "ada", "core", 0L),
            (refused.Status, refused.ErrorCode, refused.BudgetAction, refused.Person, refused.Team, refused.CostNanos));

        using (var http = new HttpClient { BaseAddress = gateway.App.BaseUrl })
        {
            var samples = PrometheusSample.Parse(await http.GetStringAsync("/metrics"));
            var metric = Assert.Single(samples, s => s.Name == "tokenops_rate_limit_refusals_total");
            Assert.Equal(("person", "requests_per_minute", 1d), (metric["tokenops_rate_limit_level"], metric["tokenops_rate_limit_kind"], metric.Value));
        }

        gateway.Clock.Advance(TimeSpan.FromSeconds(10)); // 12:01:00, a new window
        await chat.CompleteChatAsync([new UserChatMessage("four")]);
        Assert.Equal(3, gateway.ProviderCalls);
    }

    [Fact]
    public async Task RequestsPerMinute_AnthropicSdk_Gets429InAnthropicErrorShape()
    {
        await using var gateway = await RateLimitGateway.StartAsync(o => o.Teams["core"] = Rpm(1));
        var (_, secret) = gateway.Key("bea", "core");
        var client = new Anthropic.AnthropicClient(new Anthropic.Core.ClientOptions
        {
            BaseUrl = gateway.App.BaseUrl.ToString().TrimEnd('/'), ApiKey = secret, MaxRetries = 0, Timeout = TimeSpan.FromSeconds(20),
        });
        var parameters = new MessageCreateParams { Model = "claude-sonnet-4-5", MaxTokens = 64, Messages = [new UserMessageParam { Content = "hi" }] };
        await client.Messages.Create(parameters);

        var ex = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => client.Messages.Create(parameters));

        Assert.Equal(429, (int)ex.StatusCode);
        using var body = JsonDocument.Parse(ex.ResponseBody);
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        var error = body.RootElement.GetProperty("error");
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Equal("team:core", error.GetProperty("limit_scope").GetString());
        Assert.Equal(15, error.GetProperty("retry_after_seconds").GetInt32());
        var rows = await gateway.LedgerAsync(2);
        Assert.Equal(("anthropic.messages", 429), (rows.Single(r => r.Outcome == LedgerOutcome.Refused).Route, rows.Single(r => r.Outcome == LedgerOutcome.Refused).Status));
    }

    [Fact]
    public async Task TokensPerMinute_CountTheEstimateWhileInFlight_ThenTheActualTokens()
    {
        await using var gateway = await RateLimitGateway.StartAsync(o => o.People["cal"] = new RateLimitRuleOptions { TokensPerMinute = 1000 });
        var (_, secret) = gateway.Key("cal", "core");
        using var http = gateway.Client(secret);

        // About 650 tokens reserved (600 output + the input with its margin): a second one cannot fit beside it.
        using (var held = await http.SendAsync(RateLimitGateway.Chat(maxTokens: 600, stream: true, chunkDelayMs: 50), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, held.StatusCode);
            var estimate = gateway.Counters.Usage("person:cal", gateway.Clock.GetUtcNow()).Tokens;
            Assert.InRange(estimate, 601, 1000);

            using var refused = await http.SendAsync(RateLimitGateway.Chat(maxTokens: 600));
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("15", refused.Headers.GetValues("Retry-After").Single());
            using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal("tokens_per_minute", body.RootElement.GetProperty("error").GetProperty("limit_kind").GetString());
            await held.Content.ReadAsStringAsync();
        }

        var row = (await gateway.LedgerAsync(2)).Single(r => r.Outcome == LedgerOutcome.Ok);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (gateway.Counters.OpenLeases > 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
        var usage = gateway.Counters.Usage("person:cal", gateway.Clock.GetUtcNow());
        Assert.True(row.Usage.Total > 0);
        Assert.Equal((1L, row.Usage.Total), (usage.Requests, usage.Tokens));
    }

    [Fact]
    public async Task TokensPerMinute_ARequestLargerThanTheLimitOnItsOwn_IsRefusedSayingSo()
    {
        await using var gateway = await RateLimitGateway.StartAsync(o => o.Teams["core"] = new RateLimitRuleOptions { TokensPerMinute = 100 });
        using var http = gateway.Client(gateway.Key("dan", "core").Secret);

        using var response = await http.SendAsync(RateLimitGateway.Chat(maxTokens: 500));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("this request alone may use up to", body.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(0, gateway.ProviderCalls);
        using var small = await http.SendAsync(RateLimitGateway.Chat(maxTokens: 16));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
    }

    [Fact]
    public async Task Concurrent_OpenStreamsHoldTheKeysSlots_EndedAndAbortedOnesFreeThem()
    {
        await using var gateway = await RateLimitGateway.StartAsync(_ => { });
        var (id, secret) = gateway.Key("eli", "core");
        var (_, otherKey) = gateway.Key("eli", "core");
        // A key's limit set at runtime through the store, picked up by the engine (the refresher does this every second).
        gateway.App.Services.GetRequiredService<IRateLimitStore>().Set(new StoredRateLimit("key:" + id, null, null, 1, DateTimeOffset.UnixEpoch));
        Assert.True(gateway.App.Services.GetRequiredService<RateLimitEngine>().RefreshIfChanged());
        using var http = gateway.Client(secret);
        using var other = gateway.Client(otherKey);

        var held = await http.SendAsync(RateLimitGateway.Chat(maxTokens: 200, stream: true, chunkDelayMs: 200), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        await gateway.InFlightAsync("key:" + id, 1);

        using (var refused = await http.SendAsync(RateLimitGateway.Chat()))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
            using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal("concurrent_requests", body.RootElement.GetProperty("error").GetProperty("limit_kind").GetString());
        }
        using (var samePersonOtherKey = await other.SendAsync(RateLimitGateway.Chat()))
            Assert.Equal(HttpStatusCode.OK, samePersonOtherKey.StatusCode);

        held.Dispose(); // the client walks away mid-stream
        await gateway.InFlightAsync("key:" + id, 0);
        using (var next = await http.SendAsync(RateLimitGateway.Chat(stream: true)))
        {
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
            await next.Content.ReadAsStringAsync();
        }
        await gateway.InFlightAsync("key:" + id, 0);
        Assert.Equal(0, gateway.Counters.OpenLeases);
        var rows = await gateway.LedgerAsync(4);
        Assert.Equal(4, rows.Count);
        Assert.Single(rows, r => r.Outcome == LedgerOutcome.Refused && r.BudgetAction == $"rate_limited:key:{id}:concurrent_requests");
    }

    [Fact]
    public async Task PersonAndTeamLimits_CountAcrossKeysAndPeople_AndARefusalTakesNothing()
    {
        await using var gateway = await RateLimitGateway.StartAsync(o =>
        {
            o.People["cy"] = Rpm(2);
            o.Teams["core"] = Rpm(3);
        });
        using var cy1 = gateway.Client(gateway.Key("cy", "core").Secret);
        using var cy2 = gateway.Client(gateway.Key("cy", "core").Secret);
        using var dee = gateway.Client(gateway.Key("dee", "core").Secret);
        using var eve = gateway.Client(gateway.Key("eve", "ops").Secret);

        async Task<(HttpStatusCode, string?)> Send(HttpClient client)
        {
            using var response = await client.SendAsync(RateLimitGateway.Chat());
            if (response.StatusCode != HttpStatusCode.TooManyRequests) return (response.StatusCode, null);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return (response.StatusCode, body.RootElement.GetProperty("error").GetProperty("limit_scope").GetString());
        }

        Assert.Equal((HttpStatusCode.OK, null), await Send(cy1));
        Assert.Equal((HttpStatusCode.OK, null), await Send(cy2));
        Assert.Equal((HttpStatusCode.TooManyRequests, "person:cy"), await Send(cy1));
        // cy's refusal took nothing from the team: dee still gets the team's third request.
        Assert.Equal((HttpStatusCode.OK, null), await Send(dee));
        Assert.Equal((HttpStatusCode.TooManyRequests, "team:core"), await Send(dee));
        Assert.Equal((HttpStatusCode.OK, null), await Send(eve));

        var rows = await gateway.LedgerAsync(6);
        Assert.Equal(6, rows.Count);
        Assert.Equal(2, rows.Count(r => r.Status == 429 && r.ErrorCode == "rate_limit_exceeded"));
        Assert.Equal(4, gateway.ProviderCalls);
    }

    [Fact]
    public async Task DefaultPersonLimit_CountsEachPersonSeparately_AndAPersonsOwnRuleReplacesIt()
    {
        await using var gateway = await RateLimitGateway.StartAsync(o =>
        {
            o.DefaultPerson = Rpm(1);
            o.People["vip"] = Rpm(3);
        });
        using var fay = gateway.Client(gateway.Key("fay", "core").Secret);
        using var gus = gateway.Client(gateway.Key("gus", "core").Secret);
        using var vip = gateway.Client(gateway.Key("vip", "core").Secret);

        async Task<HttpStatusCode> Send(HttpClient client)
        {
            using var response = await client.SendAsync(RateLimitGateway.Chat());
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await Send(fay));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Send(fay));
        Assert.Equal(HttpStatusCode.OK, await Send(gus));
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, await Send(vip));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Send(vip));
    }
}
