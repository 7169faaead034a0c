namespace TokenOps.Gateway.Protocols;

/// <summary>What the pipeline needs to know of a request body; everything else in it passes through untouched.</summary>
/// <param name="MaxOutputTokens">The client's output limit per choice (null: the model's own limit applies).</param>
/// <param name="Choices">How many completions one request asks for (<c>n</c>, <c>best_of</c>): output is generated, and billed, that many times.</param>
/// <param name="StreamOptionsSent">The body has a <c>stream_options</c> field (in any escaping), so TokenOps merges into it instead of adding one.</param>
/// <param name="UnseenInput">Input the body does not hold (media parts, files, stored conversations, built-in tools that feed results back):
/// its size cannot be read from the body, so a reservation assumes the model's whole context window.</param>
/// <param name="ToolCalls">The most provider-side tool calls billed per call (web search, web fetch, file search) the request may make.</param>
/// <param name="Tier">The price lane the request asks for (<c>service_tier: "priority"</c> is dearer), for its reservation.</param>
/// <param name="PriceVariant">An endpoint priced per unit (images): the catalog variant the request's options select, as the
/// key prefix LiteLLM uses (<c>hd/1024-x-1024</c> for <c>hd/1024-x-1024/dall-e-3</c>); non-null also means the model may be
/// priced by the unit rather than by text tokens.</param>
/// <param name="UnitBound">An audio endpoint: the most it can bill, in every bucket it may be priced by (seconds, characters,
/// text and audio tokens); its worst case at the served model's prices is the reservation. Non-null also means the model
/// may be priced by the unit.</param>
/// <param name="Background">A Responses API request with <c>background: true</c>: the provider answers at once and bills
/// later, so its row is written when it ends (<see cref="Responses.BackgroundResponses"/>).</param>
/// <param name="Audio">An audio endpoint: what its meter needs of the request (characters spoken, the file's length).</param>
public sealed record RequestFacts(string Model, bool Stream, long? MaxOutputTokens, bool ClientAskedForUsage,
    int Choices = 1, bool StreamOptionsSent = false, bool UnseenInput = false, long ToolCalls = 0,
    TokenOps.Core.Metering.ServiceTier Tier = TokenOps.Core.Metering.ServiceTier.Standard, string? PriceVariant = null,
    TokenOps.Core.Metering.TokenUsage? UnitBound = null, OpenAI.Audio.AudioRequest? Audio = null, bool Background = false)
{
    /// <summary>Every output token the request may generate, all choices together; null when the client set no limit.</summary>
    public long? MaxTotalOutputTokens => MaxOutputTokens * Choices;
}
