namespace TokenOps.Simulator;

internal enum SimFaultKind
{
    None,
    /// <summary>Protocol error body with <see cref="SimFault.Status"/>; nothing generated, nothing billed.</summary>
    Error,
    /// <summary>Send part of the response, then abort the connection (billed, Completed = false).</summary>
    Midstream,
    /// <summary>Send everything except the usage (billed normally: the provider still charges).</summary>
    NoUsage,
    /// <summary>Emit one SSE data line (or the non-streamed body) that is not valid JSON, then carry on.</summary>
    Malformed,
    /// <summary>Stop sending (after the first event when streaming) until the client aborts (billed, Completed = false).</summary>
    Hang,
    /// <summary>
    /// A careless provider (test-only): the response carries Set-Cookie and organisation/project headers; with a
    /// status (<c>leak:401</c>) it is an error whose message quotes the API key received (whole and as fragments) and
    /// every request header received, so a test can see what crossed a proxy.
    /// </summary>
    Leak,
}

/// <summary>A fault to inject, parsed from <c>x-sim-fault</c> or picked by the random injector.</summary>
internal readonly record struct SimFault(SimFaultKind Kind, int Status, string? Spec)
{
    public static readonly SimFault None = new(SimFaultKind.None, 0, null);

    public static bool TryParse(string? spec, out SimFault fault)
    {
        fault = None;
        if (string.IsNullOrWhiteSpace(spec))
        {
            return false;
        }

        var s = spec.Trim();
        foreach (var (prefix, withStatus) in new[] { ("error:", SimFaultKind.Error), ("leak:", SimFaultKind.Leak) })
        {
            if (s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                if (int.TryParse(s.AsSpan(prefix.Length), out var status) && status is >= 400 and <= 599)
                {
                    fault = new SimFault(withStatus, status, s.ToLowerInvariant());
                    return true;
                }

                return false;
            }
        }

        var kind = s.ToLowerInvariant() switch
        {
            "midstream" => SimFaultKind.Midstream,
            "nousage" => SimFaultKind.NoUsage,
            "malformed" => SimFaultKind.Malformed,
            "hang" => SimFaultKind.Hang,
            "leak" => SimFaultKind.Leak,
            _ => SimFaultKind.None,
        };
        if (kind == SimFaultKind.None)
        {
            return false;
        }

        fault = new SimFault(kind, 0, s.ToLowerInvariant());
        return true;
    }
}

/// <summary>Seeded, thread-safe random fault picker.</summary>
internal sealed class FaultInjector(SimulatorOptions options)
{
    private readonly Random _random = new(options.Seed);
    private readonly Lock _lock = new();

    public SimFault Next()
    {
        var rate = options.FaultRate;
        if (rate <= 0)
        {
            return SimFault.None;
        }

        var faults = options.RandomFaults;
        string spec;
        lock (_lock)
        {
            if (_random.NextDouble() >= rate)
            {
                return SimFault.None;
            }

            spec = faults[_random.Next(faults.Count)];
        }

        return SimFault.TryParse(spec, out var fault) ? fault : SimFault.None;
    }
}
