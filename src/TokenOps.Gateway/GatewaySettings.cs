using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway;

/// <summary>How to start a gateway: the validated options plus what the command line or a test decides.</summary>
public sealed record GatewaySettings
{
    public required GatewayOptions Options { get; init; }
    /// <summary>The tokenops.json the options came from; when set, routes and prices reload when it changes.</summary>
    public string? ConfigPath { get; init; }
    /// <summary>How often the config file is checked for changes.</summary>
    public TimeSpan ConfigReloadInterval { get; init; } = TimeSpan.FromSeconds(1);
    public string[] Urls { get; init; } = ["http://127.0.0.1:8080"];
    /// <summary>
    /// Base URL of a simulated provider (the CLI starts one for --simulate and demo): when set, the providers
    /// simulator-openai and simulator-anthropic point at it and every priced model without a provider is routed to them.
    /// </summary>
    public Uri? SimulatorUrl { get; init; }
    /// <summary>Upstream timeout for the simulated providers (tests shorten it to exercise timeouts).</summary>
    public TimeSpan SimulatorTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>The credential the gateway presents to the simulated providers (tests use a canary to prove it never leaks).</summary>
    public Secret SimulatorApiKey { get; init; } = new("sim-key");
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;
    /// <summary>Extra log providers (tests capture logs to prove no secret reaches them).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}
