using System.Diagnostics;
using TokenOps.Routing.Similarity;

namespace TokenOps.Bench.Routing;

/// <summary>
/// Lookup latency of the semantic cache matcher with one tenant holding N entries (100,000 by default): the query's
/// eligibility-free path (SemanticQuery.FromText: guards, context hash, static embedding) plus SemanticIndex.Find.
/// Two layouts: realistic (prompts generated from varied templates, bucketed by their own system prompt and guard
/// hashes) and the worst case (every entry in one bucket, so each lookup scans all N vectors).
/// </summary>
internal static class SemanticBench
{
    private static readonly string[] Systems = Enumerable.Range(0, 20).Select(i => $"You are the assistant of product team {i}. Answer briefly.").ToArray();
    private static readonly string[] Openers = ["How do I", "How can I", "What's the best way to", "Can you explain how to", "Is it possible to", "Help me", "Tell me how to", "I need to"];
    private static readonly string[] Verbs = ["reset", "configure", "export", "import", "rename", "migrate", "audit", "back up", "restore", "monitor", "archive", "share", "merge", "validate", "schedule", "encrypt", "debug", "deploy", "invoice", "approve"];
    private static readonly string[] Objects = ["the billing account", "a Kubernetes namespace", "the payroll report", "our Postgres replica", "a pandas dataframe", "the quarterly forecast", "my SSH keys", "the onboarding checklist", "a React component", "the expense policy", "customer tickets", "the nginx config", "a Terraform module", "the sales pipeline", "vacation requests", "the data warehouse", "a CSV export", "the CI pipeline", "user permissions", "the audit log"];
    private static readonly string[] Tails = ["", " for the finance team", " without downtime", " in production", " on Windows", " before Friday", " for 250 users", " in under 5 minutes", " with Python", " across regions", " for order 48213", " in the EU region"];

    public static void Run(int entries)
    {
        var vectors = SentenceVectors.Default;
        Console.WriteLine($"Semantic cache matcher, one tenant, {entries:N0} entries, {vectors.Dimensions} dimensions");
        var prompts = Enumerable.Range(0, entries).Select(Prompt).ToArray();
        var build = Stopwatch.StartNew();
        var queries = prompts.Select(p => SemanticQuery.FromText(p.System, p.User, "gpt-4o-mini")).ToArray();
        build.Stop();
        Console.WriteLine($"embedded and guarded {entries:N0} prompts in {build.Elapsed.TotalSeconds:0.0} s ({build.Elapsed.TotalMilliseconds * 1000 / entries:0.0} µs each)");

        var realistic = new SemanticIndex(vectors.Dimensions, entries);
        for (var i = 0; i < entries; i++) realistic.Add("tenant", queries[i], $"entry-{i}");
        var buckets = queries.Select(q => (q.ContextHash, q.GuardHash)).Distinct().Count();
        var worst = new SemanticIndex(vectors.Dimensions, entries);
        for (var i = 0; i < entries; i++) worst.Add("tenant", 1, 1, queries[i].Vector, $"entry-{i}");
        GC.Collect();

        Console.WriteLine("| layout | lookups | hits | p50 | p99 | max |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Measure($"realistic ({buckets:N0} buckets, largest {queries.GroupBy(q => (q.ContextHash, q.GuardHash)).Max(g => g.Count()):N0})", (system, user) =>
            realistic.Find("tenant", SemanticQuery.FromText(system, user, "gpt-4o-mini"), SemanticQuery.DefaultThreshold));
        Measure($"worst case (all {entries:N0} in one bucket)", (system, user) =>
        {
            var q = SemanticQuery.FromText(system, user, "gpt-4o-mini");
            return worst.Find("tenant", 1, 1, q.Vector, SemanticQuery.DefaultThreshold);
        });
    }

    private static void Measure(string layout, Func<string, string, SemanticMatch?> lookup)
    {
        const int Lookups = 5_000;
        var random = new Random(11);
        // Half rewordings of stored prompts (other opener), half prompts never stored.
        var probes = Enumerable.Range(0, Lookups).Select(i =>
        {
            var p = Prompt(random.Next(1_000_000));
            return i % 2 == 0 ? p with { User = p.User.Replace(Openers[0], Openers[1], StringComparison.Ordinal) + "?" } : p with { User = p.User + " again" };
        }).ToArray();
        for (var i = 0; i < 500; i++) lookup(probes[i].System, probes[i].User);
        var times = new double[Lookups];
        var hits = 0;
        for (var i = 0; i < Lookups; i++)
        {
            var start = Stopwatch.GetTimestamp();
            if (lookup(probes[i].System, probes[i].User) is not null) hits++;
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        Console.WriteLine($"| {layout} | {Lookups:N0} | {hits:N0} | {times[Lookups / 2]:0.000} ms | {times[(int)(Lookups * 0.99)]:0.000} ms | {times[^1]:0.000} ms |");
    }

    private static (string System, string User) Prompt(int i)
    {
        var user = $"{Openers[i % Openers.Length]} {Verbs[i / 8 % Verbs.Length]} {Objects[i / 160 % Objects.Length]}{Tails[i / 3200 % Tails.Length]}";
        // Past the template space, a ticket number keeps prompts distinct (as real traffic's ids and names do).
        if (i >= 38_400) user += $" for ticket {i}";
        return (Systems[i % Systems.Length], user);
    }
}
