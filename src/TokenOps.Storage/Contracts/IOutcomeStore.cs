using TokenOps.Core.Outcomes;

namespace TokenOps.Storage;

/// <summary>Outcomes, idempotent on the outcome id; plus webhook delivery ids (a replayed delivery is recognised).</summary>
public interface IOutcomeStore
{
    /// <summary>Adds the outcome unless one with its id exists; returns true when it was new. An existing outcome is never changed.</summary>
    bool Add(Outcome outcome, string? deliveryId = null);

    /// <summary>True when this webhook delivery id was already processed.</summary>
    bool SeenDelivery(string deliveryId);

    /// <summary>Records a delivery that produced no outcome (ignored event), so its replay is recognised too.</summary>
    void RecordDelivery(string deliveryId);

    Outcome? Find(string id);

    /// <summary>Outcomes completed in [since, until), oldest first.</summary>
    IReadOnlyList<Outcome> List(DateTimeOffset? since = null, DateTimeOffset? until = null, string? person = null);

    long Count();
}

/// <summary>The ledger columns outcome linking needs, in time order, one row at a time.</summary>
public interface ISpendReader
{
    IEnumerable<SpendRow> Read(DateTimeOffset since, DateTimeOffset until);
}
