using System.Collections.Concurrent;

namespace TokenOps.Gateway.Telemetry;

/// <summary>
/// Counts requests Kestrel refuses before any endpoint runs (headers too large: 431, a bad request line or header: 400,
/// a body too slow: 408), by status code, for <c>tokenops.http.rejected</c>. Kestrel reports each on its
/// "Microsoft.AspNetCore.Server.Kestrel.BadRequests" log category (at Debug, with the BadHttpRequestException); this
/// provider listens to that category alone, whatever the console's log level, and to nothing else.
/// </summary>
public sealed class KestrelRejections : ILoggerProvider
{
    public const string Category = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    private readonly ConcurrentDictionary<int, long> _byStatus = new();

    public IReadOnlyDictionary<int, long> ByStatus => _byStatus;

    public ILogger CreateLogger(string categoryName) => categoryName == Category ? new Counter(this) : NullLogger.Instance;

    public void Dispose() { }

    public static void Register(IServiceCollection services)
    {
        var provider = new KestrelRejections();
        services.AddSingleton(provider);
        services.AddSingleton<ILoggerProvider>(provider);
        services.Configure<LoggerFilterOptions>(o =>
        {
            o.Rules.Add(new LoggerFilterRule(typeof(KestrelRejections).FullName, null, LogLevel.None, null));
            o.Rules.Add(new LoggerFilterRule(typeof(KestrelRejections).FullName, Category, LogLevel.Debug, null));
        });
    }

    private sealed class Counter(KestrelRejections owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // One event per refused request: "ConnectionBadRequest" carries the exception and its status code.
            if (exception is BadHttpRequestException bad)
                owner._byStatus.AddOrUpdate(bad.StatusCode, 1, (_, n) => n + 1);
        }
    }

    private sealed class NullLogger : ILogger
    {
        public static readonly NullLogger Instance = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => false;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) { }
    }
}
