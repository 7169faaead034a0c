using StackExchange.Redis;

namespace TokenOps.Storage.Redis;

/// <summary>Opens the process's one Redis connection from tokenops.json "redis"; messages name where the string was looked for, never its content.</summary>
public static class RedisConnection
{
    public static IConnectionMultiplexer Connect(RedisOptions options)
    {
        var text = ConnectionStrings.Read(options.ConnectionStringEnv, options.ConnectionStringFile) ?? throw new InvalidOperationException(
            $"redis: no connection string in {(options.ConnectionStringEnv is { } env ? "the environment variable " + env : options.ConnectionStringFile ?? "redis.connectionStringEnv or redis.connectionStringFile (neither is set)")}");
        ConfigurationOptions config;
        try
        {
            config = ConfigurationOptions.Parse(text);
        }
        catch (Exception)
        {
            throw new InvalidOperationException("redis: the connection string could not be parsed (its content is not shown)");
        }
        // Start even while Redis is down: calls then fail fast and the budget book fails closed or open as configured.
        config.AbortOnConnectFail = false;
        return ConnectionMultiplexer.Connect(config);
    }
}
