using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Identity;
using TokenOps.Core.Ledger;
using TokenOps.Core.Waste;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Gateway.Waste;
using TokenOps.Storage;
using Xunit.Abstractions;

namespace TokenOps.Gateway.Tests.Waste;

/// <summary>
/// The waste patterns sent as real requests through the gateway to the simulated provider, among clean traffic, with
/// the rows that carry each pattern noted as they are sent; then the detectors run over the ledger the gateway wrote
/// (its fingerprints, finish reasons, key kinds) and precision and recall are measured per detector. The simulator
/// gives no tool calls and no router scores, so agent-loop, model-mismatch and idle-allocation are measured on
/// generated rows (TokenOps.Core.Tests, WasteDetectionTests).
/// </summary>
public sealed class WasteThroughGatewayTests(ITestOutputHelper output)
{
    private static readonly string[] Syllables = "ka lo mi ne ru ta si po fe gu da ve zo bi ha ju".Split(' ');

    private readonly Random _random = new(16);
    private readonly Dictionary<string, HashSet<string>> _truth = WasteDetectors.All.ToDictionary(d => d.Name, _ => new HashSet<string>());

    private string Question()
    {
        // Words made of random syllables: real questions share a few words, not a fifty-word vocabulary.
        var words = Enumerable.Range(0, _random.Next(12, 30)).Select(_ => string.Concat(Enumerable.Range(0, _random.Next(2, 4)).Select(_ => Syllables[_random.Next(Syllables.Length)])));
        return "Explain how to fix the " + string.Join(' ', words) + " problem in our service.";
    }

    private static string Body(string text, string? system = null, bool cache = false, int maxTokens = 512, IEnumerable<(string Role, string Text)>? history = null)
    {
        var messages = (history ?? []).Select(h => new { role = h.Role, content = h.Text }).Cast<object>().Append(new { role = "user", content = text }).ToList();
        object? sys = system is null ? null : cache ? new object[] { new { type = "text", text = system, cache_control = new { type = "ephemeral" } } } : system;
        var body = new Dictionary<string, object?> { ["model"] = "claude-sonnet-4-5", ["max_tokens"] = maxTokens, ["messages"] = messages };
        if (sys is not null) body["system"] = sys;
        return JsonSerializer.Serialize(body);
    }

    private static async Task<string> SendAsync(HttpClient http, string body, string userAgent, string? session = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        if (session is not null) request.Headers.Add("X-TokenOps-Session", session);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("X-TokenOps-Request-Id").Single();
    }

    [Fact]
    public async Task Patterns_sent_through_the_gateway_are_found_at_the_rows_that_carry_them()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var keys = gateway.App.Services.GetRequiredService<IKeyStore>();
        HttpClient Person(string name) => gateway.Client(keys.Create(name, "core").Secret);
        var clients = Enumerable.Range(0, 6).Select(i => Person($"dev{i}")).ToList();
        var paster = Person("paster");
        var reroller = Person("reroller");
        var truncator = Person("truncator");
        var nocache = Person("nocache");
        var cacher = Person("cacher");
        var bot = gateway.Client(keys.Create("nightly-bot", "core", KeyKinds.Automation).Secret);
        const string Cli = "claude-cli/2.0.14 (external, cli)";
        const string Sdk = "Anthropic/Python 0.40.0";
        var longSystem = "You review pull requests for the payments service. " + string.Concat(Enumerable.Repeat("Follow the house style for error handling, logging, naming and tests. ", 400));

        // Clean traffic: every developer asks different things, some in short conversations, with a short system prompt.
        for (var round = 0; round < 12; round++)
            foreach (var (http, i) in clients.Select((c, i) => (c, i)))
            {
                var history = round % 3 == 0 ? null : new[] { ("user", Question()), ("assistant", "Here is what I found: " + Question()) };
                await SendAsync(http, Body(Question(), system: "You are a concise senior engineer.", history: history), i % 2 == 0 ? Cli : Sdk);
            }
        for (var i = 0; i < 5; i++) await SendAsync(cacher, Body(Question(), system: longSystem, cache: true), Sdk);

        // context-stuffing: whole files pasted into the question.
        for (var i = 0; i < 4; i++)
        {
            var file = string.Concat(Enumerable.Range(0, 600).Select(n => $"    // {Question()}\n    var v{n} = Compute({n});\n"));
            _truth[WasteDetectors.ContextStuffing].Add(await SendAsync(paster, Body("Why does this not compile?\n" + file, system: "You are a concise senior engineer."), Cli));
        }
        // retry-by-vibes: the same ask re-rolled with a word changed.
        for (var chain = 0; chain < 2; chain++)
        {
            var ask = Question();
            string[] variants = [ask, ask + " Please.", "Hmm. " + ask, ask + " Try again?"];
            foreach (var v in variants) _truth[WasteDetectors.RetryByVibes].Add(await SendAsync(reroller, Body(v), Sdk));
        }
        // truncation-retry: cut off by max_tokens, then the same prompt again with a larger limit.
        for (var i = 0; i < 3; i++)
        {
            var ask = Question();
            _truth[WasteDetectors.TruncationRetry].Add(await SendAsync(truncator, Body(ask, maxTokens: 5), Cli));
            _truth[WasteDetectors.TruncationRetry].Add(await SendAsync(truncator, Body(ask, maxTokens: 1024), Cli));
        }
        // ignored-caching: a 6,000-token system prompt sent again and again with no cache_control.
        for (var i = 0; i < 5; i++)
        {
            var id = await SendAsync(nocache, Body(Question(), system: longSystem), Sdk);
            if (i > 0) _truth[WasteDetectors.IgnoredCaching].Add(id);
        }
        // ownerless-automation: a nightly bot on an automation key nobody owns.
        for (var i = 0; i < 5; i++)
            _truth[WasteDetectors.OwnerlessAutomation].Add(await SendAsync(bot, Body("Summarise yesterday's failed builds."), "curl/8.5.0"));

        var rows = await gateway.LedgerAsync(6 * 12 + 5 + 4 + 8 + 6 + 5 + 5);
        var byId = rows.ToDictionary(r => r.Id);

        // The fingerprints the detectors read, as the gateway wrote them.
        var truncated = byId[_truth[WasteDetectors.TruncationRetry].First()];
        Assert.Equal("max_tokens", truncated.FinishReason);
        Assert.Contains(rows, r => r.PromptHash == truncated.PromptHash && r.Id != truncated.Id && r.FinishReason == "end_turn");
        Assert.Equal(ClientFamilies.ClaudeCode, truncated.ClientFamily);
        Assert.All(_truth[WasteDetectors.OwnerlessAutomation], id => Assert.Equal((KeyKinds.Automation, ClientFamilies.Curl), (byId[id].KeyKind, byId[id].ClientFamily)));
        Assert.Contains(rows, r => r.MessageCount == 3 && r.ClientFamily == ClientFamilies.AnthropicSdk);
        var noCacheRows = _truth[WasteDetectors.IgnoredCaching].Select(id => byId[id]).ToList();
        Assert.Single(noCacheRows.Select(r => r.PrefixHash).Distinct());
        Assert.All(noCacheRows, r => Assert.True(r.PrefixTokens >= 1024 && r.Usage.CacheRead == 0));
        Assert.Contains(rows, r => r.Person == "cacher" && r.Usage.CacheRead > 0); // the same prompt with cache_control is read from cache
        Assert.All(rows, r => Assert.NotNull(r.TurnSimHash));

        var services = gateway.App.Services;
        var from = rows.Min(r => r.StartedAt).AddMinutes(-1);
        var context = WasteContextBuilder.Build(from, from.AddHours(1), BundledCatalog.Load(), new RoutingOptions(), keys,
            services.GetRequiredService<IOutcomeStore>(), services.GetRequiredService<IBudgetStore>());
        var findings = WasteScanner.Run(rows, context);
        // The narrow reader the CLI and dashboard scan with finds exactly what the full rows give.
        var narrow = WasteScanner.Run(services.GetRequiredService<TokenOps.Storage.IWasteRowReader>().Read(from, from.AddHours(1)), context);
        Assert.Equal(findings.Select(f => (f.Detector, f.Person, f.WastedUsd, string.Join(",", f.Rows))),
            narrow.Select(f => (f.Detector, f.Person, f.WastedUsd, string.Join(",", f.Rows))));
        foreach (var name in new[] { WasteDetectors.ContextStuffing, WasteDetectors.RetryByVibes, WasteDetectors.TruncationRetry, WasteDetectors.IgnoredCaching, WasteDetectors.OwnerlessAutomation })
        {
            var found = findings.Where(f => f.Detector == name).SelectMany(f => f.Rows).ToHashSet();
            var truth = _truth[name];
            var hit = found.Count(truth.Contains);
            var precision = found.Count == 0 ? 0 : (double)hit / found.Count;
            var recall = (double)hit / truth.Count;
            foreach (var id in found.Where(id => !truth.Contains(id))) output.WriteLine($"  extra {id} {byId[id].Person} {byId[id].MessageCount} {byId[id].FinishReason} {byId[id].TurnSimHash:X}");
            foreach (var id in truth.Where(id => !found.Contains(id))) output.WriteLine($"  missed {id} {byId[id].Person} {byId[id].MessageCount} {byId[id].FinishReason} {byId[id].TurnSimHash:X}");
            output.WriteLine($"{name,-22} truth {truth.Count,3} found {found.Count,3} precision {precision:0.000} recall {recall:0.000}");
            Assert.True(precision >= 0.9 && recall >= 0.85, $"{name}: precision {precision:0.000}, recall {recall:0.000} ({hit} of {found.Count} found, {truth.Count} true)");
        }
        // The session header reaches the row.
        var sessionId = await SendAsync(clients[0], Body(Question()), Cli, session: "sess-waste-1");
        Assert.Equal("sess-waste-1", (await gateway.LedgerAsync(rows.Count + 1)).Single(r => r.Id == sessionId).SessionId);
    }
}
