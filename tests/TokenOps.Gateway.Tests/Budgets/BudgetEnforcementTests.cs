using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using OpenAI;
using OpenAI.Chat;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Gateway;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Budgets;

/// <summary>What a person meets at a limit, through real HTTP and the official SDKs.</summary>
public sealed class BudgetEnforcementTests
{
    private static BudgetOptions Hard(decimal usd, string period = "daily") => new() { LimitUsd = usd, Period = period, Mode = "hard" };
    private static BudgetOptions Soft(decimal usd, string action) => new() { LimitUsd = usd, Period = "daily", Mode = "soft", SoftAction = action };

    [Fact]
    public async Task HardCap_OpenAISdk_Gets402_WhichItDoesNotRetry_ProviderNeverCalled()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = Hard(0.000001m));
        var key = gateway.CreateKey("ada", "core");
        // The SDK's default retry policy: it retries 429 and 5xx, and must not retry a 402.
        var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(gateway.BaseUrl, "v1") });

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hello")]));

        Assert.Equal(402, ex.Status);
        Assert.Equal(0, gateway.Bill.Count);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal((402, LedgerOutcome.Refused, "budget_exceeded", 0L), (row.Status, row.Outcome, row.ErrorCode, row.CostNanos));
        using var body = JsonDocument.Parse(ex.GetRawResponse()!.Content.ToString());
        var error = body.RootElement.GetProperty("error");
        Assert.Equal("insufficient_quota", error.GetProperty("type").GetString());
        Assert.Equal("budget_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("person:ada", error.GetProperty("budget").GetString());
        Assert.Equal(0.000001m, error.GetProperty("limit_usd").GetDecimal());
        Assert.Equal(0m, error.GetProperty("spent_usd").GetDecimal());
        var resets = DateTimeOffset.Parse(error.GetProperty("resets_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(1), resets.UtcDateTime);
    }

    [Fact]
    public async Task HardCap_AnthropicSdk_Gets402BillingError_WithBudgetFields()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Teams["core"] = Hard(0.000001m, "monthly"));
        var key = gateway.CreateKey("bea", "core");
        var client = new Anthropic.AnthropicClient(new Anthropic.Core.ClientOptions { BaseUrl = gateway.BaseUrl.ToString().TrimEnd('/'), ApiKey = key });

        var ex = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => client.Messages.Create(new MessageCreateParams
        {
            Model = "claude-sonnet-4-5",
            MaxTokens = 256,
            Messages = [new UserMessageParam { Content = "hi" }],
        }));

        Assert.Equal(402, (int)ex.StatusCode);
        using var body = JsonDocument.Parse(ex.ResponseBody);
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        var error = body.RootElement.GetProperty("error");
        Assert.Equal("billing_error", error.GetProperty("type").GetString());
        Assert.Equal("team:core", error.GetProperty("budget").GetString());
        Assert.Equal(0, gateway.Bill.Count);
        Assert.Single(await gateway.LedgerAsync(1));
    }

    [Fact]
    public async Task AllKeysOfOnePerson_ShareOneBudget()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["cy"] = Hard(0.0005m));
        using var first = gateway.Client(gateway.CreateKey("cy", "core"));
        using var second = gateway.Client(gateway.CreateKey("cy", "core"));
        using var other = gateway.Client(gateway.CreateKey("dee", "core"));

        var served = 0;
        for (var i = 0; i < 100; i++)
        {
            using var response = await first.SendAsync(BudgetRequests.Chat(maxTokens: 200));
            if (response.StatusCode == HttpStatusCode.PaymentRequired) break;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            served++;
        }
        Assert.InRange(served, 1, 99);
        using var viaSecondKey = await second.SendAsync(BudgetRequests.Chat(maxTokens: 200));
        Assert.Equal(HttpStatusCode.PaymentRequired, viaSecondKey.StatusCode);
        using var someoneElse = await other.SendAsync(BudgetRequests.Chat(maxTokens: 200));
        Assert.Equal(HttpStatusCode.OK, someoneElse.StatusCode);
        var rows = await gateway.LedgerAsync(served + 3);
        Assert.True(rows.Where(r => r.Person == "cy").Sum(r => r.CostNanos) <= NanoUsd.FromUsd(0.0005m));
    }

    [Fact]
    public async Task EveryLevelApplies_ProjectBudgetRefusesOnlyThatProject()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Budgets.Organisation = Hard(100m, "monthly");
            o.Budgets.Teams["core"] = Hard(50m, "monthly");
            o.Budgets.People["eve"] = Hard(10m, "weekly");
            o.Budgets.Projects["tiny"] = Hard(0.000001m, "rolling:7");
        });
        using var http = gateway.Client(gateway.CreateKey("eve", "core"));

        using var ok = await http.SendAsync(BudgetRequests.Chat(project: "search"));
        using var refused = await http.SendAsync(BudgetRequests.Chat(project: "tiny"));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        Assert.Contains("project:tiny", await refused.Content.ReadAsStringAsync());
        var remaining = decimal.Parse(ok.Headers.GetValues("X-TokenOps-Budget-Remaining").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(remaining, 9.9m, 10m); // the person's 10 USD is the tightest
        var snapshots = await gateway.SettledSnapshotsAsync();
        var rows = await gateway.LedgerAsync(2);
        Assert.Equal(["org", "person:eve", "project:tiny", "team:core"], snapshots.Select(s => s.BudgetId).Order(StringComparer.Ordinal));
        Assert.All(snapshots, s => Assert.Equal(BudgetRequests.LedgerNanos(rows, s), NanoUsd.FromUsd(s.Spent)));
        Assert.True(snapshots.Single(s => s.BudgetId == "org").Spent > 0);
    }

    [Fact]
    public async Task SoftWarn_ServesWithWarningHeaders_AndRecordsIt()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Teams["core"] = Soft(0.000001m, "warn"));
        using var http = gateway.Client(gateway.CreateKey("fay", "core"));

        using var response = await http.SendAsync(BudgetRequests.Chat());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("team:core", response.Headers.GetValues("X-TokenOps-Budget-Warning").Single());
        Assert.Equal("0.000000", response.Headers.GetValues("X-TokenOps-Budget-Remaining").Single());
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal("warned:team:core", row.BudgetAction);
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("Soft budget team:core overrun by fay", StringComparison.Ordinal));
        Assert.Single(await gateway.SettledSnapshotsAsync());
    }

    [Fact]
    public async Task SoftDegrade_ServesTheTiersCheaperModel_AndSaysSo()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Tiers["junior"] = new TierOptions
        {
            People = ["gus"],
            Stipend = Soft(0.000001m, "degrade"),
            DegradeModels = { ["openai"] = "gpt-4o-mini", ["anthropic"] = "claude-haiku-4-5" },
        });
        using var http = gateway.Client(gateway.CreateKey("gus", "core"));

        using var response = await http.SendAsync(BudgetRequests.Chat(model: "gpt-4o"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4o->gpt-4o-mini", response.Headers.GetValues("X-TokenOps-Budget-Degraded").Single());
        Assert.Equal("gpt-4o-mini", Assert.Single(gateway.Bill.Entries).Model);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(("gpt-4o", "gpt-4o-mini"), (row.RequestedModel, row.ServedModel));
        Assert.Equal("degraded:gpt-4o->gpt-4o-mini", row.BudgetAction);
        // The saving: the same tokens at gpt-4o's prices, minus what they cost on gpt-4o-mini.
        Assert.Equal("degraded", row.Levers);
        Assert.True(BundledCatalog.Load().TryGet("gpt-4o", out var gpt4o));
        var asked = CostCalculator.Compute(gpt4o, row.Usage).Total;
        Assert.Equal(NanoUsd.FromUsd(asked - row.Cost.Total), row.Savings.NanosOf(SavingsLevers.Degraded));
        Assert.True(row.Savings.Degraded > 0);
        Assert.Equal(0m, row.Savings.Routed);
    }

    [Fact]
    public async Task SoftDegrade_StaysWithinTheCallersProtocol()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Tiers["junior"] = new TierOptions
        {
            People = ["gus"],
            Stipend = Soft(0.000001m, "degrade"),
            DegradeModels = { ["openai"] = "gpt-4o-mini", ["anthropic"] = "claude-haiku-4-5" },
        });
        using var http = gateway.Client(gateway.CreateKey("gus", "core"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent("""{"model":"claude-sonnet-4-5","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("claude-sonnet-4-5->claude-haiku-4-5", response.Headers.GetValues("X-TokenOps-Budget-Degraded").Single());
        Assert.Equal("degraded:claude-sonnet-4-5->claude-haiku-4-5", Assert.Single(await gateway.LedgerAsync(1)).BudgetAction);
    }

    [Theory]
    [InlineData(null, "budgets.tiers.junior: a soft budget degrades, and members may call anthropic models, which have no degrade model (degrading goes openai to gpt-4o-mini, and never across protocols); add budgets.tiers.junior.degradeModels.anthropic")]
    [InlineData("claude-haiku-4-5", "budgets.tiers.junior.degradeModels.openai: 'claude-haiku-4-5' cannot serve openai requests")]
    public async Task ATierWhoseDegradeModelCannotServeAProtocolItsPeopleUse_IsRefusedAtStart(string? openaiTarget, string message)
    {
        var ex = await Assert.ThrowsAsync<TokenOps.Gateway.Configuration.ConfigurationException>(async () =>
        {
            await using var gateway = await GatewayFixture.StartAsync(o =>
            {
                var tier = new TierOptions { People = ["gus"], Stipend = Soft(1m, "degrade") };
                if (openaiTarget is null) tier.DegradeModel = "gpt-4o-mini";
                else tier.DegradeModels["openai"] = openaiTarget;
                o.Budgets.Tiers["junior"] = tier;
            });
        });
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATierThatMayCallOneProtocol_NeedsADegradeModelForThatOneOnly()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Tiers["junior"] = new TierOptions
        {
            People = ["gus"], Stipend = Soft(0.000001m, "degrade"), AllowedModels = ["gpt-4o", "gpt-4o-mini"], DegradeModel = "gpt-4o-mini",
        });
        using var http = gateway.Client(gateway.CreateKey("gus", "core"));
        using var response = await http.SendAsync(BudgetRequests.Chat(model: "gpt-4o"));
        Assert.Equal("gpt-4o->gpt-4o-mini", response.Headers.GetValues("X-TokenOps-Budget-Degraded").Single());
    }

    [Fact]
    public async Task SoftRequireJustification_RefusesWithoutOne_RecordsIt()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["hal"] = Soft(0.000001m, "require-justification"));
        using var http = gateway.Client(gateway.CreateKey("hal", "core"));

        using var refused = await http.SendAsync(BudgetRequests.Chat());
        using var served = await http.SendAsync(BudgetRequests.Chat(justification: "prod incident INC-42"));

        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Contains("justification_required", body);
        Assert.Contains("X-TokenOps-Justification", body);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(1, gateway.Bill.Count);
        var rows = await gateway.LedgerAsync(2);
        Assert.Equal(LedgerOutcome.Refused, rows.Single(r => r.Status == 402).Outcome);
        var ok = rows.Single(r => r.Status == 200);
        Assert.Equal(("prod incident INC-42", "justified:person:hal"), (ok.Justification, ok.BudgetAction));
    }

    [Fact]
    public async Task TierAllowList_RefusesOtherModels()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Tiers["junior"] = new TierOptions { People = ["ida"], AllowedModels = ["gpt-4o-mini"] });
        using var http = gateway.Client(gateway.CreateKey("ida", "core"));

        using var allowed = await http.SendAsync(BudgetRequests.Chat(model: "gpt-4o-mini"));
        using var denied = await http.SendAsync(BudgetRequests.Chat(model: "gpt-4o"));

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("model_not_allowed", await denied.Content.ReadAsStringAsync());
        Assert.Equal(1, gateway.Bill.Count);
    }

    [Fact]
    public async Task Clamp_LowersMaxTokensToWhatFits_InsteadOfRefusing()
    {
        // gpt-4o-mini: 0.15 USD/M in, 0.60 USD/M out. 0.0002 USD covers the prompt and roughly 300 output tokens, not 4000.
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Budgets.People["jo"] = Hard(0.0002m);
            o.Budgets.ClampMaxTokens = true;
        });
        using var http = gateway.Client(gateway.CreateKey("jo", "core"));

        using var response = await http.SendAsync(BudgetRequests.Chat(maxTokens: 4000));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.StartsWith("clamped:max_tokens=", row.BudgetAction);
        var clamped = long.Parse(row.BudgetAction!["clamped:max_tokens=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(clamped, 16, 333);
        Assert.True(Assert.Single(gateway.Bill.Entries).Usage.Output <= clamped);
        Assert.True(row.CostNanos <= NanoUsd.FromUsd(0.0002m));
    }

    [Fact]
    public async Task Clamp_BelowAnAnthropicThinkingBudget_LowersTheBudgetToo()
    {
        // claude-haiku-4-5: 1 USD/M in, 5 USD/M out. 0.016 USD fits about 3,000 output tokens, not 16,000; the client's
        // thinking budget (8,000) would then be above max_tokens, which Anthropic (and the simulator) refuses.
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Budgets.People["jo"] = Hard(0.016m);
            o.Budgets.ClampMaxTokens = true;
        });
        using var client = new Anthropic.AnthropicClient(new Anthropic.Core.ClientOptions
        {
            BaseUrl = gateway.BaseUrl.ToString().TrimEnd('/'),
            ApiKey = gateway.CreateKey("jo", "core"),
            MaxRetries = 0,
        });

        var message = await client.Messages.Create(new MessageCreateParams
        {
            Model = "claude-haiku-4-5",
            MaxTokens = 16000,
            Thinking = new ThinkingConfigEnabled(8000),
            Messages = [new UserMessageParam { Content = "Reason about the budget policy." }],
        });

        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(message.ID, row.ProviderRequestId);
        var actions = row.BudgetAction!.Split(';');
        var clamped = long.Parse(actions[0]["clamped:max_tokens=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(clamped, 2000, 3200);
        // Half of the client's limit was for thinking; half of the clamped one is.
        Assert.Equal($"thinking.budget_tokens={clamped / 2}(clamp)", actions[1]);
    }

    [Fact]
    public async Task WithoutClamp_TheSameRequestIsRefused()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["jo"] = Hard(0.0002m));
        using var http = gateway.Client(gateway.CreateKey("jo", "core"));
        using var response = await http.SendAsync(BudgetRequests.Chat(maxTokens: 4000));
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal(0, gateway.Bill.Count);
    }

    [Fact]
    public async Task NoBudgets_NoBudgetHeaders()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(BudgetRequests.Chat());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("X-TokenOps-Budget-Remaining"));
    }
}
