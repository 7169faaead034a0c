using TokenOps.Gateway.Configuration;

namespace TokenOps.Cli.Demo;

/// <summary>How one person uses AI: which APIs and models, how much, how long their prompts are.</summary>
internal sealed record Habit(
    string Person,
    string Team,
    string Description,
    string Api,            // chat | responses | messages | embeddings
    string[] Models,
    int RequestsPerDay,
    double StreamShare,
    int PromptWords,
    int MaxTokens,
    bool PromptCaching,
    string Project,
    bool StableSystemUnmarked = false,
    string[]? Questions = null); // asks only these (temperature 0), so the response cache answers the repeats

/// <summary>A small organisation whose people work differently, for the demo.</summary>
internal static class DemoOrganisation
{
    /// <summary>
    /// The helpdesk bot's questions (declared before People, which reads it while initialising): repeats answered by the exact cache, paraphrases by the semantic cache (the
    /// platform team has both on), and near misses (another VPN, the other switch) that neither may answer.
    /// </summary>
    private static readonly string[] HelpdeskQuestions =
    [
        "How do I reset my VPN password?",
        "How can I reset my VPN password?",
        "How do I reset my Wi-Fi password?",
        "Where do I request access to the production database?",
        "How do I turn on two-factor authentication for my account?",
        "How do I turn off two-factor authentication for my account?",
        "What is the on-call rotation for the platform team this week?",
        "How do I rotate the API key for the staging environment?",
    ];

    public static readonly Habit[] People =
    [
        new("alice", "payments", "agentic coding with long cached contexts", "messages", ["claude-sonnet-4-5"], 14, 0.9, 2600, 1200, true, "checkout"),
        new("bruno", "payments", "lets the router choose (model auto)", "chat", ["auto"], 10, 0.3, 120, 300, false, "checkout"),
        new("chen", "payments", "reviews diffs with a reasoning model", "responses", ["o4-mini", "gpt-5"], 5, 0.5, 1500, 2000, false, "ledger-v2"),
        new("dana", "payments", "rarely uses AI", "chat", ["gpt-4.1-mini"], 1, 0.0, 300, 400, false, "ledger-v2"),
        new("emeka", "platform", "runs an embeddings indexing job", "embeddings", ["text-embedding-3-small"], 12, 0.0, 700, 0, false, "search-index"),
        new("farah", "platform", "pairs with Opus on hard incidents", "messages", ["claude-opus-4-1", "claude-haiku-4-5"], 4, 1.0, 1800, 1500, true, "infra"),
        new("gus", "platform", "GPT-4.1 for scripts, mostly streamed", "chat", ["gpt-4.1"], 8, 0.8, 900, 800, false, "infra"),
        new("hana", "platform", "mixes everything", "chat", ["gpt-5-mini", "gpt-4o"], 6, 0.5, 500, 700, false, "search-index"),
        new("ines", "growth", "writes copy, routed between Haiku and Sonnet (auto)", "messages", ["auto"], 9, 0.6, 400, 600, false, "landing-pages"),
        new("jonas", "growth", "analyses experiments with GPT-5", "responses", ["gpt-5"], 3, 0.3, 2200, 2500, false, "experiments"),
        new("kemi", "growth", "heavy Sonnet user, a long stable system prompt she never marks for caching", "messages", ["claude-sonnet-4-5"], 14, 0.4, 3500, 1500, false, "experiments",
            StableSystemUnmarked: true),
        new("liam", "growth", "tries the newest small model", "chat", ["gpt-5-nano", "gpt-4.1-nano"], 11, 0.5, 200, 300, false, "landing-pages"),
        new("mia", "platform", "runs the helpdesk bot: the same questions, asked again and again", "chat", ["gpt-4.1-mini"], 12, 0.5, 0, 400, false, "helpdesk",
            Questions: HelpdeskQuestions),
    ];

}

/// <summary>
/// The demo organisation's policy, as a tokenops.json would state it: budgets (a monthly organisation pool; team caps
/// that warn, degrade or refuse; one person's small hard stipend; senior/junior tiers), alerts, token poker and the
/// outcome valuation ROI is computed with. Limits are sized to the simulated traffic so that a few weeks show the story.
/// </summary>
internal static class DemoPolicy
{
    /// <summary>The one person whose small hard weekly stipend runs out: her Opus requests get HTTP 402, her Haiku ones still fit.</summary>
    public const string StipendPerson = "farah";
    public const string GitHubSecretEnv = "TOKENOPS_DEMO_GITHUB_WEBHOOK_SECRET";
    public const string AdminTokenEnv = "TOKENOPS_DEMO_ADMIN_TOKEN";

    public static void Apply(GatewayOptions options)
    {
        options.AdminTokenEnv = AdminTokenEnv;
        options.Budgets = new BudgetsOptions
        {
            Organisation = new BudgetOptions { LimitUsd = 15m, Period = "monthly", Mode = "hard" },
            Teams =
            {
                ["payments"] = new BudgetOptions { LimitUsd = 2.00m, Period = "monthly", Mode = "soft", SoftAction = "warn" },
                ["growth"] = new BudgetOptions { LimitUsd = 1.00m, Period = "monthly", Mode = "soft", SoftAction = "degrade" },
                ["platform"] = new BudgetOptions { LimitUsd = 3.50m, Period = "monthly", Mode = "hard" },
            },
            People = { [StipendPerson] = new BudgetOptions { LimitUsd = 0.50m, Period = "weekly", Mode = "hard" } },
            Tiers =
            {
                // Seniors may call any model; when a soft budget degrades them, Anthropic requests go to Haiku and OpenAI
                // requests to GPT-4o mini (a degrade never crosses protocols).
                ["senior"] = new TierOptions
                {
                    People = ["alice", "chen", "farah", "gus", "kemi"],
                    DegradeModels = { ["anthropic"] = "claude-haiku-4-5", ["openai"] = "gpt-4o-mini" },
                },
                // Juniors: no Opus, Sonnet, o4-mini or GPT-4.1; a degrade serves GPT-5 nano (Haiku for Anthropic requests).
                ["junior"] = new TierOptions
                {
                    People = ["bruno", "dana", "emeka", "hana", "jonas", "liam"],
                    AllowedModels = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5", "gpt-5-mini", "gpt-5-nano", "text-embedding-3-small", "claude-haiku-4-5"],
                    DegradeModels = { ["openai"] = "gpt-5-nano", ["anthropic"] = "claude-haiku-4-5" },
                },
            },
        };
        // Model routing: "auto" goes to the cheapest candidate that will do; a third of requests may reach the strongest.
        options.Routing = new RoutingOptions
        {
            Routers =
            {
                ["auto"] = new RouterOptions
                {
                    Openai = ["gpt-4o-mini", "gpt-4o"],
                    Anthropic = ["claude-haiku-4-5", "claude-sonnet-4-5"],
                    StrongShare = 0.3,
                },
            },
        };
        // Output control: juniors' answers are capped at 1,500 tokens, and requests without a limit get 1,024 (so a
        // reservation is sized from that, not from the model's whole output window).
        options.OutputControl = new OutputControlOptions
        {
            MaxTokens = new MaxTokensOptions { Default = 1024 },
            Tiers = { ["junior"] = new OutputControlLevelOptions { MaxTokens = new MaxTokensOptions { Cap = 1500 } } },
        };
        // Prompt-cache help for the growth team: kemi's big Sonnet prompts carry no cache_control; TokenOps adds breakpoints.
        // The response cache for the platform team, exact and semantic: the helpdesk bot's repeats and paraphrases are free.
        options.Cache = new ResponseCacheOptions
        {
            Teams = { ["platform"] = new ResponseCacheLevelOptions { Exact = new ExactCacheOptions { Enabled = true, TtlSeconds = 7 * 24 * 3600 }, Semantic = new SemanticCacheOptions { Enabled = true } } },
        };
        options.PromptCache = new PromptCacheOptions { Teams = { ["growth"] = new PromptCacheLevelOptions { Enabled = true, Ttl = "1h" } } };
        // Threshold and forecast alerts for the pool and the teams (every person's weekly poker hand would flood the list).
        options.Alerts = new AlertOptions { Thresholds = [50, 80, 100], Forecasts = true, Levels = ["organisation", "team"], EvaluateEverySeconds = 3600 };
        options.Poker = new PokerOptions { Enabled = true, WeeklyHandUsd = 2m, WinnerBonusUsd = 0.5m, Winners = 3, Anonymised = false, Scoring = "outcome-value-per-dollar" };
        options.Outcomes = new OutcomeOptions
        {
            GitHubSecretEnv = GitHubSecretEnv,
            People = { ["kemi-o"] = "kemi", ["gus-ops"] = "gus" },
            HoursSavedByType = { ["pr"] = 1.5m },
            DefaultHourlyRateUsd = 90m,
            HourlyRateByTeam = { ["platform"] = 110m },
            HourlyRateByTier = { ["senior"] = 150m, ["junior"] = 70m },
            TierByPerson = { ["alice"] = "senior", ["chen"] = "senior", ["farah"] = "senior", ["gus"] = "senior", ["kemi"] = "senior", ["bruno"] = "junior", ["hana"] = "junior", ["jonas"] = "junior", ["liam"] = "junior" },
            OtherAiCostPerMonthUsd = 150m,
        };
    }
}
