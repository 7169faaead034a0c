using TokenOps.Core.Outcomes;

namespace TokenOps.Storage.Audit;

/// <summary>Every outcome added (admin API, CLI or a signed webhook) leaves an audit entry; outcomes are never changed afterwards.</summary>
public sealed class AuditedOutcomeStore(IOutcomeStore inner, AuditRecorder audit) : IOutcomeStore
{
    public bool Add(Outcome outcome, string? deliveryId = null)
    {
        var added = inner.Add(outcome, deliveryId);
        if (added) audit.Record("outcomes.add", "outcome:" + outcome.Id, null, new { outcome.Id, outcome.Source, outcome.SourceId, Type = outcome.Type.ToString(), outcome.CompletedAt });
        return added;
    }

    public bool SeenDelivery(string deliveryId) => inner.SeenDelivery(deliveryId);

    public void RecordDelivery(string deliveryId) => inner.RecordDelivery(deliveryId);

    public Outcome? Find(string id) => inner.Find(id);

    public IReadOnlyList<Outcome> List(DateTimeOffset? since = null, DateTimeOffset? until = null, string? person = null) => inner.List(since, until, person);

    public long Count() => inner.Count();
}
