namespace TokenOps.Gateway.Configuration;

/// <summary>Start-time checks, so that a bad config fails at start with the key named, not at the first request.</summary>
public static class GatewayOptionsValidator
{
    public static void Validate(GatewayOptions options, string source)
    {
        void Fail(string key, string problem) => throw new ConfigurationException($"{source}: {key} {problem}");

        foreach (var (name, p) in options.Providers)
        {
            if (p.Kind is not ("openai" or "anthropic")) Fail($"providers.{name}.kind", $"must be \"openai\" or \"anthropic\", not \"{p.Kind}\"");
            if (!Uri.TryCreate(p.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                Fail($"providers.{name}.baseUrl", $"must be an absolute http(s) URL, not \"{p.BaseUrl}\"");
            if (p.TimeoutSeconds is <= 0 or > 3600) Fail($"providers.{name}.timeoutSeconds", "must be between 0 and 3600");
            if (p.ApiKeyEnv is { } env && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(env)))
                Fail($"providers.{name}.apiKeyEnv", $"names the environment variable {env}, which is not set");
            if (p.ApiKeyFile is { } file && !File.Exists(file)) Fail($"providers.{name}.apiKeyFile", $"names {file}, which does not exist");
            foreach (var header in p.ForwardHeaders)
            {
                if (string.IsNullOrWhiteSpace(header) || header.TrimEnd('*').Length == 0 || header.IndexOf('*') is var star && star >= 0 && star != header.Length - 1)
                    Fail($"providers.{name}.forwardHeaders", $"entries are header names or prefixes ending in '*', not \"{header}\"");
                if (Pipeline.HeaderPolicy.IsNeverForwarded(header))
                    Fail($"providers.{name}.forwardHeaders", $"may not forward \"{header}\" (credentials, cookies, organisation and proxy headers never go upstream)");
            }
        }
        foreach (var (model, route) in options.Models)
            if (route.Provider is { } provider && !options.Providers.ContainsKey(provider))
                Fail($"models.{model}.provider", $"names provider \"{provider}\", which is not under \"providers\"");
        if (options.MaxRequestBodyBytes < 1024) Fail("maxRequestBodyBytes", "must be at least 1024");
        if (options.Telemetry.MetricsTokenEnv is { } metricsEnv && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(metricsEnv)))
            Fail("telemetry.metricsTokenEnv", $"names the environment variable {metricsEnv}, which is not set");
        if (options.JournalSegmentBytes < 64 * 1024) Fail("journalSegmentBytes", "must be at least 65536");
        if (options.JournalMinFreeBytes < 0) Fail("journalMinFreeBytes", "must not be negative");
        if (options.Budgets.DefaultMaxOutputTokens < 1) Fail("budgets.defaultMaxOutputTokens", "must be at least 1");
        if (options.Budgets.MinClampedMaxTokens < 1) Fail("budgets.minClampedMaxTokens", "must be at least 1");
        if (options.Budgets.ReservationTtlMinutes is <= 0 or > 24 * 60) Fail("budgets.reservationTtlMinutes", "must be between 0 and 1440");
        // Builds the policy set once: bad periods, modes, actions, time zones and team caps beyond the pool fail here.
        Budgets.BudgetPolicyBuilder.Build(options, [], 0, source);
        options.Alerts.Validate(source);
        options.Outcomes.Validate(source);
    }

    public static Secret? ResolveApiKey(ProviderOptions p)
    {
        if (p.ApiKeyEnv is { } env && Environment.GetEnvironmentVariable(env) is { Length: > 0 } value) return new Secret(value);
        if (p.ApiKeyFile is { } file && File.Exists(file)) return new Secret(File.ReadAllText(file).Trim());
        return null;
    }
}
