using TokenOps.Storage;

namespace TokenOps.Gateway.Configuration;

/// <summary>Start-time checks, so that a bad config fails at start with the key named, not at the first request.</summary>
public static class GatewayOptionsValidator
{
    /// <param name="serving">Check that the secrets only the running gateway uses (provider keys, the metrics token) are set.</param>
    public static void Validate(GatewayOptions options, string source, bool serving = true)
    {
        void Fail(string key, string problem) => throw new ConfigurationException($"{source}: {key} {problem}");

        ValidateStorage(options, Fail);
        foreach (var (name, p) in options.Providers)
        {
            if (p.Kind is not ("openai" or "anthropic")) Fail($"providers.{name}.kind", $"must be \"openai\" or \"anthropic\", not \"{p.Kind}\"");
            if (!Uri.TryCreate(p.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                Fail($"providers.{name}.baseUrl", $"must be an absolute http(s) URL, not \"{p.BaseUrl}\"");
            if (p.TimeoutSeconds is <= 0 or > 3600) Fail($"providers.{name}.timeoutSeconds", "must be between 0 and 3600");
            if (serving && p.ApiKeyEnv is { } env && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(env)))
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
        if (options.Dashboard.Oidc is { Enabled: true } oidc)
        {
            if (!Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("http" or "https"))
                Fail("dashboard.oidc.authority", $"must be the provider's absolute issuer URL, not \"{oidc.Authority}\"");
            else if (issuer.Scheme == "http" && oidc.RequireHttpsMetadata)
                Fail("dashboard.oidc.authority", "must be https (set requireHttpsMetadata to false only for a provider on loopback in tests)");
            if (string.IsNullOrWhiteSpace(oidc.ClientId)) Fail("dashboard.oidc.clientId", "must be set when dashboard.oidc.authority is");
            if (!oidc.CallbackPath.StartsWith('/') || oidc.CallbackPath.StartsWith("/v1/", StringComparison.Ordinal) || oidc.CallbackPath.StartsWith("/api/", StringComparison.Ordinal))
                Fail("dashboard.oidc.callbackPath", $"must be a path of its own starting with '/', outside /v1 and /api, not \"{oidc.CallbackPath}\"");
        }
        if (serving && options.Telemetry.MetricsTokenEnv is { } metricsEnv && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(metricsEnv)))
            Fail("telemetry.metricsTokenEnv", $"names the environment variable {metricsEnv}, which is not set");
        if (options.JournalSegmentBytes < 64 * 1024) Fail("journalSegmentBytes", "must be at least 65536");
        if (options.JournalMinFreeBytes < 0) Fail("journalMinFreeBytes", "must not be negative");
        if (options.LedgerBatchWindowMs is < 0 or > 10_000) Fail("ledgerBatchWindowMs", "must be between 0 and 10000 (milliseconds)");
        if (options.Budgets.DefaultMaxOutputTokens < 1) Fail("budgets.defaultMaxOutputTokens", "must be at least 1");
        if (options.Budgets.MinClampedMaxTokens < 1) Fail("budgets.minClampedMaxTokens", "must be at least 1");
        if (options.Budgets.ReservationTtlMinutes is <= 0 or > 24 * 60) Fail("budgets.reservationTtlMinutes", "must be between 0 and 1440");
        // Builds the policy set once: bad periods, modes, actions, time zones and team caps beyond the pool fail here.
        Budgets.BudgetPolicyBuilder.Build(options, [], 0, source);
        options.Alerts.Validate(source, serving);
        options.RateLimits.Validate(source);
        options.OutputControl.Validate(source, options.Budgets.Tiers.Keys);
        options.PromptCache.Validate(source);
        options.Cache.Validate(source);
        options.Outcomes.Validate(source);
        options.Retention.Validate(source, options.Budgets);
    }

    /// <summary>
    /// "storage" and "redis". Messages name the key and the variable or file, never a connection string's content.
    /// A backend this build cannot compose is refused here, so a fleet configured for PostgreSQL never starts on SQLite.
    /// </summary>
    private static void ValidateStorage(GatewayOptions options, Action<string, string> fail)
    {
        var storage = options.Storage;
        if (!StorageKinds.All.Contains(storage.Kind, StringComparer.Ordinal))
            fail("storage.kind", $"must be one of {string.Join(", ", StorageKinds.All.Select(k => $"\"{k}\""))}, not \"{storage.Kind}\"");
        if (storage.Kind == StorageKinds.Sqlite && (storage.ConnectionStringEnv is not null || storage.ConnectionStringFile is not null))
            fail("storage.connectionStringEnv", "is for kind \"postgres\"; SQLite lives in dataDirectory");
        if (storage.Kind != StorageKinds.Sqlite)
            CheckConnectionSource("storage", storage.ConnectionStringEnv, storage.ConnectionStringFile, fail);
        if (!StorageServiceCollectionExtensions.IsAvailable(storage.Kind))
            fail("storage.kind", $"\"{storage.Kind}\": this build has no {StorageServiceCollectionExtensions.DisplayName(storage.Kind)} backend yet");

        if (options.Redis is { } redis)
        {
            if (redis.OnFailure is not (RedisFailureModes.FailClosed or RedisFailureModes.FailOpen))
                fail("redis.onFailure", $"must be \"{RedisFailureModes.FailClosed}\" or \"{RedisFailureModes.FailOpen}\", not \"{redis.OnFailure}\"");
            CheckConnectionSource("redis", redis.ConnectionStringEnv, redis.ConnectionStringFile, fail);
            if (!StorageServiceCollectionExtensions.RedisAvailable)
                fail("redis", "is configured, but this build has no Redis counter backend yet (remove the section to keep counters in each gateway)");
        }
    }

    private static void CheckConnectionSource(string section, string? env, string? file, Action<string, string> fail)
    {
        if (env is null == file is null)
            fail($"{section}.connectionStringEnv", $"or {section}.connectionStringFile: give exactly one (the connection string itself never goes in tokenops.json)");
        if (env is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(env)))
            fail($"{section}.connectionStringEnv", $"names the environment variable {env}, which is not set");
        if (file is not null && !File.Exists(file)) fail($"{section}.connectionStringFile", $"names {file}, which does not exist");
    }

    /// <summary>The connection string from its variable or file, wrapped so it prints as "***".</summary>
    public static Secret? ResolveConnectionString(string? env, string? file) =>
        ConnectionStrings.Read(env, file) is { } value ? new Secret(value) : null;

    public static Secret? ResolveApiKey(ProviderOptions p)
    {
        if (p.ApiKeyEnv is { } env && Environment.GetEnvironmentVariable(env) is { Length: > 0 } value) return new Secret(value);
        if (p.ApiKeyFile is { } file && File.Exists(file)) return new Secret(File.ReadAllText(file).Trim());
        return null;
    }
}
