namespace TokenOps.Core.Planning;

/// <summary>One team's requests on one served model: what they cost, and what the same work would cost on the target.</summary>
public sealed record WhatIfLine(string Team, string Model, long Requests, long CurrentNanos, long WhatIfNanos, decimal TokenFactor)
{
    public long DeltaNanos => WhatIfNanos - CurrentNanos;
}

/// <summary>
/// Requests the target may not be able to serve, and why. <see cref="Certain"/> is false when the ledger cannot tell per
/// request (it records no prompt content: whether a request sent tools, images or a schema is unknown, so every request
/// on a model that supports the feature is counted as possibly needing it).
/// </summary>
public sealed record ServeGap(string Reason, string Detail, long Requests, IReadOnlyList<string> Examples, bool Certain);

/// <summary>A token-count factor the what-if applied, to how many requests, and where it comes from.</summary>
public sealed record FactorUse(string FromFamily, string ToFamily, decimal Factor, string Basis, long Requests);

/// <summary>The period's generative requests repriced onto <see cref="Target"/>, per team and model, with what it cannot serve.</summary>
public sealed record WhatIfReport(string Target, IReadOnlyList<WhatIfLine> Lines, WhatIfLine Total, IReadOnlyList<ServeGap> Gaps, IReadOnlyList<FactorUse> Factors);
