using TokenOps.Core.Ledger;

namespace TokenOps.Core.Savings;

/// <summary>
/// "Moved to a cheaper model", as every savings report counts it: a request routed or degraded to a model that cost less
/// for the tokens it used, i.e. it was served by another model than the one named and its routed + degraded saving is
/// positive. A request <c>auto</c> sent to the router's strongest candidate is routed but not moved; a cascade's failed
/// attempt (a negative saving) is not moved either.
/// </summary>
public static class CheaperModel
{
    public static bool Moved(LedgerEntry e) =>
        e.Savings.NanosOf(SavingsLevers.Routed) + e.Savings.NanosOf(SavingsLevers.Degraded) > 0
        && e.ServedModel is { } served && served != (e.RequestedModel ?? "");
}
