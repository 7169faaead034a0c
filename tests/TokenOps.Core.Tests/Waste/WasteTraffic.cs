using TokenOps.Core.Identity;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Waste;

namespace TokenOps.Core.Tests.Waste;

/// <summary>
/// A day of ledger rows for three teams: clean traffic (varied prompts, sizes spread log-normally, sessions that grow a
/// little, prompt caching used, easy requests on the cheap model, the odd truncated answer left alone) with every waste
/// pattern injected at known rows. <see cref="Truth"/> names the rows (or holders) each detector should find.
/// </summary>
public sealed class WasteTraffic
{
    public static readonly ModelPrice Frontier = new()
    {
        Model = "frontier-1", Provider = "anthropic", Input = 15m / 1_000_000, Output = 75m / 1_000_000, CacheRead = 1.5m / 1_000_000,
        CacheWrite5m = 18.75m / 1_000_000, MaxInputTokens = 200_000, PromptCacheMinTokens = 1024,
    };

    public static readonly ModelPrice Cheap = new()
    {
        Model = "cheap-1", Provider = "anthropic", Input = 0.8m / 1_000_000, Output = 4m / 1_000_000, CacheRead = 0.08m / 1_000_000,
        CacheWrite5m = 1m / 1_000_000, MaxInputTokens = 200_000, PromptCacheMinTokens = 2048,
    };

    public List<LedgerEntry> Rows { get; } = [];
    public Dictionary<string, HashSet<string>> Truth { get; } = WasteDetectors.All.ToDictionary(d => d.Name, _ => new HashSet<string>());
    public Dictionary<string, KeyProfile> Keys { get; } = [];
    public List<Allocation> Allocations { get; } = [];
    public DateTimeOffset From { get; } = new(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);
    public DateTimeOffset Until => From.AddDays(1);

    private readonly Random _random;
    private int _next;

    public WasteContext Context => new()
    {
        From = From, Until = Until, Price = m => m == Frontier.Model ? Frontier : m == Cheap.Model ? Cheap : null, Keys = Keys,
        LastOutcomeByPerson = new Dictionary<string, DateTimeOffset> { ["owner-with-outcomes"] = From.AddDays(-3) },
        Allocations = Allocations,
        Routing = new RoutingHint(0.5, new Dictionary<string, string> { ["anthropic"] = Cheap.Model }),
    };

    public WasteTraffic(int seed = 7, int peoplePerTeam = 8, int requestsPerPerson = 120)
    {
        _random = new Random(seed);
        var teams = new[] { "core", "web", "data" };
        var people = teams.SelectMany(t => Enumerable.Range(0, peoplePerTeam).Select(i => (Person: $"{t}-dev{i}", Team: t))).ToList();
        foreach (var (person, team) in people)
        {
            Keys["key-" + person] = new KeyProfile("key-" + person, KeyKinds.Person, null, person, team);
            Clean(person, team, requestsPerPerson);
            Allocations.Add(new Allocation("budget", "b-" + person, person, false, 2m * SpendOf(person) + 0.5m, From, Until));
        }
        // The patterns, each carried by someone (and a bot).
        Stuffing("core-dev1", "core", 12);
        Stuffing("data-dev4", "data", 8);
        Mismatch("web-dev2", "web", 25);
        IgnoredCaching("data-dev0", "data", 20);
        IgnoredCaching("core-dev5", "core", 9);
        for (var i = 0; i < 6; i++) RetryByVibes(i % 2 == 0 ? "web-dev3" : "core-dev6", i % 2 == 0 ? "web" : "core", 3 + i % 3);
        for (var i = 0; i < 5; i++) TruncationRetry("data-dev2", "data");
        TruncationRetry("core-dev2", "core");
        Automation("key-nightly-bot", owner: null, "core", 40, waste: true);
        Automation("key-stale-bot", owner: "owner-nobody", "web", 20, waste: true);
        Automation("key-ci-bot", owner: "owner-with-outcomes", "web", 30, waste: false);
        Loop("core-dev3", "core", 5);
        Loop("web-dev5", "web", 4);
        Growth("data-dev6", "data", 45);
        Hoard("web-dev7", 10m);
        Hoard("data-dev1", 6m);
        Rows.Sort((a, b) => a.StartedAt != b.StartedAt ? a.StartedAt.CompareTo(b.StartedAt) : string.CompareOrdinal(a.Id, b.Id));
        CacheCleanPrefixes();
    }

    private readonly HashSet<long> _cleanPrefixes = [];

    /// <summary>Clean traffic uses the prompt cache: in time order, a prefix repeated within five minutes on the same model is read from cache.</summary>
    private void CacheCleanPrefixes()
    {
        var last = new Dictionary<(long, string), DateTimeOffset>();
        for (var i = 0; i < Rows.Count; i++)
        {
            var r = Rows[i];
            if (r.PrefixHash is not { } prefix || !_cleanPrefixes.Contains(prefix)) continue;
            var key = (prefix, r.ServedModel!);
            var hit = last.TryGetValue(key, out var at) && r.StartedAt - at <= TimeSpan.FromMinutes(5);
            last[key] = r.StartedAt;
            var cached = hit ? Math.Min(r.PrefixTokens, r.Usage.TotalInput) : 0;
            var usage = r.Usage with { UncachedInput = r.Usage.TotalInput - cached, CacheRead = cached };
            Rows[i] = r with { Usage = usage, Cost = CostCalculator.Compute(r.ServedModel == Frontier.Model ? Frontier : Cheap, usage) };
        }
    }

    private decimal SpendOf(string person) => Rows.Where(r => r.Person == person).Sum(r => r.Cost.Total);

    private DateTimeOffset RandomTime() => From.AddSeconds(_random.Next(3600, 23 * 3600));

    private long RandomHash() => _random.NextInt64(long.MinValue, long.MaxValue);

    /// <summary>A hash a few bits from <paramref name="hash"/>: a re-sent prompt with a word changed.</summary>
    private long Near(long hash)
    {
        for (var i = _random.Next(0, 4); i > 0; i--) hash ^= 1L << _random.Next(64);
        return hash;
    }

    private long LogNormal(double median, double sigma)
    {
        var u1 = 1 - _random.NextDouble();
        var u2 = _random.NextDouble();
        var z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        return Math.Max(50, (long)(median * Math.Exp(sigma * z)));
    }

    private LedgerEntry Row(string person, string team, DateTimeOffset at, long input, long output, string model = "frontier-1",
        long cacheRead = 0, string? key = null, string kind = KeyKinds.Person, double? score = null, long? prefix = null, long prefixTokens = 0,
        long? prompt = null, long? turn = null, int messages = 1, string finish = "end_turn", int toolCalls = 0, string? session = null)
    {
        var price = model == Frontier.Model ? Frontier : Cheap;
        var usage = new TokenUsage { UncachedInput = input - cacheRead, CacheRead = cacheRead, Output = output };
        var row = new LedgerEntry
        {
            Id = $"evt_{_next++:D6}", StartedAt = at, EndedAt = at.AddSeconds(3), Route = "anthropic.messages", KeyId = key ?? "key-" + person,
            Person = person, Team = team, Provider = "anthropic", RequestedModel = model, ServedModel = model, Usage = usage,
            Cost = CostCalculator.Compute(price, usage), Status = 200, Outcome = LedgerOutcome.Ok, RouteScore = score,
            PrefixHash = prefix, PrefixTokens = prefixTokens, PromptHash = prompt ?? RandomHash(), TurnSimHash = turn ?? RandomHash(),
            MessageCount = messages, FinishReason = finish, ToolCallCount = toolCalls, SessionId = session, KeyKind = kind, ClientFamily = "anthropic-sdk",
        };
        Rows.Add(row);
        return row;
    }

    private void Clean(string person, string team, int count)
    {
        var tools = RandomHash();
        _cleanPrefixes.Add(tools);
        var session = 0;
        for (var i = 0; i < count;)
        {
            // A session of a few turns: input grows by the turn's exchange, tools and system prompt cached after the first.
            var turns = _random.Next(1, 9);
            var at = RandomTime();
            var input = LogNormal(team == "data" ? 6000 : 3000, 0.6);
            var id = $"{person}-s{session++}";
            for (var t = 0; t < turns && i < count; t++, i++)
            {
                var output = LogNormal(400, 0.5);
                var easy = _random.NextDouble() < 0.3;
                var finish = _random.NextDouble() < 0.03 ? "max_tokens" : "end_turn";
                Row(person, team, at, input, output, model: easy ? Cheap.Model : Frontier.Model,
                    score: _random.NextDouble() < 0.5 ? (easy ? 0.1 + 0.3 * _random.NextDouble() : 0.55 + 0.4 * _random.NextDouble()) : null,
                    prefix: tools, prefixTokens: 1500, messages: 1 + 2 * t, finish: finish, toolCalls: _random.NextDouble() < 0.4 ? 1 : 0, session: id);
                at = at.AddSeconds(_random.Next(20, 240));
                input += LogNormal(1500, 0.7);
            }
        }
    }

    private void Stuffing(string person, string team, int count)
    {
        for (var i = 0; i < count; i++)
            Truth[WasteDetectors.ContextStuffing].Add(Row(person, team, RandomTime(), LogNormal(team == "data" ? 120_000 : 80_000, 0.3), LogNormal(400, 0.5)).Id);
    }

    private void Mismatch(string person, string team, int count)
    {
        for (var i = 0; i < count; i++)
            Truth[WasteDetectors.ModelMismatch].Add(Row(person, team, RandomTime(), LogNormal(3000, 0.5), LogNormal(300, 0.5), score: 0.05 + 0.3 * _random.NextDouble()).Id);
    }

    private void IgnoredCaching(string person, string team, int count)
    {
        var prefix = RandomHash();
        var at = RandomTime();
        for (var i = 0; i < count; i++)
        {
            var row = Row(person, team, at, LogNormal(9000, 0.2), LogNormal(300, 0.5), prefix: prefix, prefixTokens: 6000, messages: 1);
            if (i > 0) Truth[WasteDetectors.IgnoredCaching].Add(row.Id);
            at = at.AddSeconds(_random.Next(15, 200));
        }
    }

    private void RetryByVibes(string person, string team, int attempts)
    {
        var turn = RandomHash();
        var at = RandomTime();
        var messages = 1 + 2 * _random.Next(0, 4);
        for (var i = 0; i < attempts; i++)
        {
            Truth[WasteDetectors.RetryByVibes].Add(Row(person, team, at, LogNormal(3000, 0.3), LogNormal(400, 0.4), turn: Near(turn), messages: messages).Id);
            at = at.AddSeconds(_random.Next(20, 300));
        }
    }

    private void TruncationRetry(string person, string team)
    {
        var prompt = RandomHash();
        var at = RandomTime();
        var first = Row(person, team, at, LogNormal(3000, 0.3), 1024, prompt: prompt, finish: "max_tokens");
        var again = Row(person, team, at.AddSeconds(_random.Next(10, 600)), first.Usage.TotalInput, LogNormal(600, 0.3), prompt: prompt);
        Truth[WasteDetectors.TruncationRetry].UnionWith([first.Id, again.Id]);
    }

    private void Automation(string key, string? owner, string team, int count, bool waste)
    {
        Keys[key] = new KeyProfile(key, KeyKinds.Automation, owner, key.Replace("key-", ""), team);
        var at = From.AddHours(2);
        for (var i = 0; i < count; i++)
        {
            var row = Row(key.Replace("key-", ""), team, at, LogNormal(5000, 0.2), LogNormal(500, 0.2), key: key, kind: KeyKinds.Automation);
            if (waste) Truth[WasteDetectors.OwnerlessAutomation].Add(row.Id);
            at = at.AddMinutes(30);
        }
    }

    private void Loop(string person, string team, int repeats)
    {
        var at = RandomTime();
        var session = $"{person}-loop";
        var turn = RandomHash();
        var input = 8000L;
        Row(person, team, at, input, 200, turn: turn, messages: 3, toolCalls: 1, session: session, finish: "tool_use");
        for (var i = 0; i < repeats; i++)
        {
            at = at.AddSeconds(20);
            input += 400;
            Truth[WasteDetectors.AgentLoop].Add(Row(person, team, at, input, 200, turn: Near(turn), messages: 5 + 2 * i, toolCalls: 1, session: session, finish: "tool_use").Id);
        }
    }

    private void Growth(string person, string team, int turns)
    {
        var at = RandomTime();
        var session = $"{person}-long";
        var input = 5_000L;
        for (var i = 0; i < turns; i++)
        {
            var row = Row(person, team, at, input, 600, messages: 3 + 2 * i, toolCalls: 1, session: session, finish: "tool_use");
            if (input > Frontier.MaxInputTokens!.Value * AgentLoopDetector.ContextShare) Truth[WasteDetectors.AgentLoop].Add(row.Id);
            at = at.AddSeconds(40);
            input += LogNormal(2_500, 0.3);
        }
    }

    /// <summary>A budget many times its holder's use (idle-allocation's truth is the allocation, not rows).</summary>
    private void Hoard(string person, decimal timesUse)
    {
        var limit = timesUse * SpendOf(person);
        Allocations.RemoveAll(a => a.Holder == person);
        Allocations.Add(new Allocation("budget", "b-" + person, person, false, limit, From, Until));
        Truth[WasteDetectors.IdleAllocation].Add("budget b-" + person);
    }
}
