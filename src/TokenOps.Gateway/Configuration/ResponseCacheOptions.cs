using TokenOps.Core.Identity;

namespace TokenOps.Gateway.Configuration;

/// <summary>
/// tokenops.json "cache": TokenOps' own response cache, off unless turned on. "exact" answers a request identical to an
/// earlier one (same canonical request, same tenant scope) from the stored answer. The top level is the default;
/// "routes" (openai.chat, openai.responses, anthropic.messages) and "teams" override it setting by setting: the team's
/// wins, then the route's, then the top level. The store's total size (maxTotalBytes) is one bound for the whole cache,
/// so it is set at the top level only.
/// </summary>
public sealed class ResponseCacheOptions
{
    /// <summary>The routes whose answers can be cached and replayed.</summary>
    public static readonly IReadOnlyList<string> CacheableRoutes = ["openai.chat", "openai.responses", "anthropic.messages"];

    public ExactCacheOptions? Exact { get; set; }
    /// <summary>The semantic cache (opt-in): a paraphrase of a cached question is answered from the exact cache's entry.</summary>
    public SemanticCacheOptions? Semantic { get; set; }
    public Dictionary<string, ResponseCacheLevelOptions> Routes { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, ResponseCacheLevelOptions> Teams { get; set; } = new(StringComparer.Ordinal);

    /// <summary>True when no level turns the exact cache on: the stage then costs nothing.</summary>
    public bool IsOff => Exact?.Enabled != true && Routes.Values.All(l => l.Exact?.Enabled != true) && Teams.Values.All(l => l.Exact?.Enabled != true);

    public void Validate(string source)
    {
        void Fail(string key, string problem) => throw new ConfigurationException($"{source}: cache.{key} {problem}");

        Check(Exact, "exact", Fail, topLevel: true);
        CheckSemantic(Semantic, "semantic", Fail);
        foreach (var (route, level) in Routes)
        {
            if (!CacheableRoutes.Contains(route, StringComparer.Ordinal))
                Fail($"routes.{route}", $"is not a route whose answers can be cached: use {string.Join(", ", CacheableRoutes)}");
            Check(level.Exact, $"routes.{route}.exact", Fail, topLevel: false);
            CheckSemantic(level.Semantic, $"routes.{route}.semantic", Fail);
        }
        foreach (var (team, level) in Teams)
        {
            if (string.IsNullOrWhiteSpace(team) || team != team.Trim()) Fail("teams", "names must be non-empty, without surrounding spaces");
            if (Names.Problem(team) is { } problem) Fail("teams", $"a name {problem}");
            Check(level.Exact, $"teams.{team}.exact", Fail, topLevel: false);
            CheckSemantic(level.Semantic, $"teams.{team}.semantic", Fail);
        }
    }

    private static void CheckSemantic(SemanticCacheOptions? semantic, string key, Action<string, string> fail)
    {
        if (semantic?.Threshold is { } t && t is <= 0.5 or > 1)
            fail($"{key}.threshold", $"must be above 0.5 and at most 1 (cosine similarity; default {TokenOps.Routing.Similarity.SemanticQuery.DefaultThreshold}), not {t}");
    }

    private static void Check(ExactCacheOptions? exact, string key, Action<string, string> fail, bool topLevel)
    {
        if (exact is null) return;
        if (exact.Scope is { } scope && !CacheScopes.All.Contains(scope, StringComparer.Ordinal))
            fail($"{key}.scope", $"must be one of {string.Join(", ", CacheScopes.All.Select(s => $"\"{s}\""))}, not \"{scope}\"");
        if (exact.TtlSeconds is { } ttl && ttl is < 1 or > 30 * 24 * 3600)
            fail($"{key}.ttlSeconds", $"must be between 1 and 2592000 (30 days), not {ttl}");
        if (exact.MaxEntryBytes is { } entry && entry is < 1024 or > 64L << 20)
            fail($"{key}.maxEntryBytes", $"must be between 1024 and 67108864 (64 MiB), not {entry}");
        if (exact.MaxTotalBytes is { } total)
        {
            if (!topLevel) fail($"{key}.maxTotalBytes", "is one bound for the whole cache: set it under cache.exact only");
            if (total < 64 * 1024) fail($"{key}.maxTotalBytes", $"must be at least 65536, not {total}");
            if (exact.MaxEntryBytes is { } e && e > total) fail($"{key}.maxEntryBytes", $"({e}) is larger than maxTotalBytes ({total})");
        }
    }
}

/// <summary>One level's settings (a route's or a team's); an absent setting is taken from the less specific levels.</summary>
public sealed class ResponseCacheLevelOptions
{
    public ExactCacheOptions? Exact { get; set; }
    public SemanticCacheOptions? Semantic { get; set; }
}

/// <summary>
/// "semantic": answer a paraphrase from a stored answer (same tenant, same model, an identical system prompt, a single
/// user turn, no tools; numbers, negations, names, language and content terms must agree). It serves entries of the
/// exact cache, so it works where the exact cache is on.
/// </summary>
public sealed class SemanticCacheOptions
{
    public bool? Enabled { get; set; }
    /// <summary>The least cosine similarity of the two questions' sentence vectors (default 0.80).</summary>
    public double? Threshold { get; set; }
}

/// <summary>"exact": the exact response cache's settings at one level.</summary>
public sealed class ExactCacheOptions
{
    public bool? Enabled { get; set; }
    /// <summary>Who shares entries: "team" (the default), "org" (everyone) or "person".</summary>
    public string? Scope { get; set; }
    /// <summary>How long an answer is served after it was stored (3600 by default).</summary>
    public int? TtlSeconds { get; set; }
    /// <summary>The largest answer stored (1 MiB by default); a larger one is served but not kept.</summary>
    public long? MaxEntryBytes { get; set; }
    /// <summary>The whole cache's size (256 MiB by default; top level only); least recently used entries go first.</summary>
    public long? MaxTotalBytes { get; set; }
    /// <summary>Cache requests whose last message is a tool result (off by default: tools' results rarely repeat and often carry state).</summary>
    public bool? CacheToolResults { get; set; }
}

/// <summary>The tenant scopes of the response cache: an entry is never served outside the scope it was stored in.</summary>
public static class CacheScopes
{
    public const string Team = "team";
    public const string Org = "org";
    public const string Person = "person";

    public static readonly IReadOnlyList<string> All = [Team, Org, Person];
}
