namespace TokenOps.Gateway.Protocols;

/// <summary>What the pipeline needs to know of a request body; everything else in it passes through untouched.</summary>
public sealed record RequestFacts(string Model, bool Stream, long? MaxOutputTokens, bool ClientAskedForUsage);
