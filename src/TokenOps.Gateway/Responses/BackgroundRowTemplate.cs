using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Savings;

namespace TokenOps.Gateway.Responses;

/// <summary>
/// What a background response's row needs from the request that started it, kept with the response until it ends (it
/// may end on another replica, or after a restart): the row as the settle stage would have written it at submit time
/// (attribution, ticket and pull request, the model asked for, session, fingerprints, route score, budget action,
/// levers) and the savings inputs, so the savings are priced on the tokens the response finally used.
/// </summary>
public sealed record BackgroundRowTemplate(LedgerEntry Row, SavingsInputs Savings)
{
    public string Serialize() => JsonSerializer.Serialize(this);

    /// <summary>The template, or null for a response recorded without one (before step 1820) or one that no longer reads.</summary>
    public static BackgroundRowTemplate? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            return JsonSerializer.Deserialize<BackgroundRowTemplate>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
