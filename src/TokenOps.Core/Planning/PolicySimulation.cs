using TokenOps.Core.Budgets;

namespace TokenOps.Core.Planning;

/// <summary>What a proposed policy does to a request: let it through with a warning, serve a cheaper model, ask for a reason, or refuse it.</summary>
public enum SimulatedAction
{
    Warned,
    Degraded,
    JustificationRequired,
    Refused,
}

/// <summary>One action of one budget (or tier) over the replay: how many requests, the first one, who, and the money involved.</summary>
public sealed class ActionTally
{
    private readonly SortedSet<string> _people = new(StringComparer.Ordinal);

    public long Requests { get; private set; }
    public DateTimeOffset? First { get; private set; }
    public string? FirstRequest { get; private set; }
    /// <summary>Refused: the spend stopped. Degraded: the cost avoided by serving the cheaper model. Else: the spend concerned.</summary>
    public long Nanos { get; private set; }
    public IReadOnlyCollection<string> People => _people;
    internal string? LastRequest { get; private set; }

    internal void Add(ReplayRow row, long nanos)
    {
        LastRequest = row.Id;
        Requests++;
        Nanos += nanos;
        if (First is null) (First, FirstRequest) = (row.StartedAt, row.Id);
        if (row.Person is { } p) _people.Add(p);
    }
}

/// <summary>A budget of the proposed policy (or a tier's model allow-list, id "tier:NAME") and what it would have done.</summary>
public sealed class BudgetOutcome(string id, BudgetLevel? level, string name, BudgetPolicy? policy)
{
    public string Id { get; } = id;
    public BudgetLevel? Level { get; } = level;
    public string Name { get; } = name;
    /// <summary>Null for a tier's allow-list.</summary>
    public BudgetPolicy? Policy { get; } = policy;
    public IReadOnlyDictionary<SimulatedAction, ActionTally> Actions => _actions;
    private readonly Dictionary<SimulatedAction, ActionTally> _actions = [];

    public ActionTally Of(SimulatedAction action) => _actions.TryGetValue(action, out var t) ? t : _actions[action] = new ActionTally();
}

/// <summary>One person's experience of the proposed policy: each action's requests and the first time.</summary>
public sealed class PersonOutcome(string person, string? team)
{
    public string Person { get; } = person;
    public string? Team { get; } = team;
    public IReadOnlyDictionary<SimulatedAction, ActionTally> Actions => _actions;
    private readonly Dictionary<SimulatedAction, ActionTally> _actions = [];

    public ActionTally Of(SimulatedAction action) => _actions.TryGetValue(action, out var t) ? t : _actions[action] = new ActionTally();
}

/// <summary>
/// The replay's result: every budget that acted (and every configured one, at zero), every person it acted on, what the
/// rows cost as recorded and what they would have cost under the proposal (refused spend removed, degraded requests at
/// the cheaper model's price).
/// </summary>
public sealed record PolicySimulation(
    long Requests,
    long RecordedNanos,
    long SimulatedNanos,
    long StoppedNanos,
    long DegradeSavedNanos,
    IReadOnlyList<BudgetOutcome> Budgets,
    IReadOnlyList<PersonOutcome> People);
