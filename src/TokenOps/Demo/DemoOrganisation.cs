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
    string Project);

/// <summary>A small organisation whose people work differently, for the demo.</summary>
internal static class DemoOrganisation
{
    public static readonly Habit[] People =
    [
        new("alice", "payments", "agentic coding with long cached contexts", "messages", ["claude-sonnet-4-5"], 14, 0.9, 2600, 1200, true, "checkout"),
        new("bruno", "payments", "quick questions to a small model", "chat", ["gpt-4o-mini"], 10, 0.3, 120, 300, false, "checkout"),
        new("chen", "payments", "reviews diffs with a reasoning model", "responses", ["o4-mini", "gpt-5"], 5, 0.5, 1500, 2000, false, "ledger-v2"),
        new("dana", "payments", "rarely uses AI", "chat", ["gpt-4.1-mini"], 1, 0.0, 300, 400, false, "ledger-v2"),
        new("emeka", "platform", "runs an embeddings indexing job", "embeddings", ["text-embedding-3-small"], 12, 0.0, 700, 0, false, "search-index"),
        new("farah", "platform", "pairs with Opus on hard incidents", "messages", ["claude-opus-4-1", "claude-haiku-4-5"], 4, 1.0, 1800, 1500, true, "infra"),
        new("gus", "platform", "GPT-4.1 for scripts, mostly streamed", "chat", ["gpt-4.1"], 8, 0.8, 900, 800, false, "infra"),
        new("hana", "platform", "mixes everything", "chat", ["gpt-5-mini", "gpt-4o"], 6, 0.5, 500, 700, false, "search-index"),
        new("ines", "growth", "writes copy with Haiku", "messages", ["claude-haiku-4-5"], 9, 0.6, 400, 600, false, "landing-pages"),
        new("jonas", "growth", "analyses experiments with GPT-5", "responses", ["gpt-5"], 3, 0.3, 2200, 2500, false, "experiments"),
        new("kemi", "growth", "heavy Sonnet user, big prompts, no caching", "messages", ["claude-sonnet-4-5"], 7, 0.4, 3500, 1500, false, "experiments"),
        new("liam", "growth", "tries the newest small model", "chat", ["gpt-5-nano", "gpt-4.1-nano"], 11, 0.5, 200, 300, false, "landing-pages"),
    ];
}
