namespace TokenOps.Core.Waste;

/// <summary>The built-in detectors, by the names users type (<c>tokenops waste</c>, the dashboard, the digest).</summary>
public static class WasteDetectors
{
    public const string ContextStuffing = "context-stuffing";
    public const string ModelMismatch = "model-mismatch";
    public const string IgnoredCaching = "ignored-caching";
    public const string RetryByVibes = "retry-by-vibes";
    public const string OwnerlessAutomation = "ownerless-automation";
    public const string AgentLoop = "agent-loop";
    public const string TruncationRetry = "truncation-retry";
    public const string IdleAllocation = "idle-allocation";

    public static IReadOnlyList<IWasteDetector> All { get; } =
    [
        new ContextStuffingDetector(), new ModelMismatchDetector(), new IgnoredCachingDetector(), new RetryByVibesDetector(),
        new OwnerlessAutomationDetector(), new AgentLoopDetector(), new TruncationRetryDetector(), new IdleAllocationDetector(),
    ];
}
