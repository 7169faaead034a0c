using System.Collections.Concurrent;

namespace TokenOps.Core.Budgets;

/// <summary>
/// Every configured budget, immutable, swapped whole when the configuration changes. Answers "which budgets does this
/// request fall under" with dictionary lookups: the organisation pool, the person's team, the person (stipend, or
/// their tier's), the project, and the person's token-poker hand.
/// </summary>
public sealed class BudgetPolicySet
{
    private readonly BudgetPolicy? _organisation;
    private readonly Dictionary<string, BudgetPolicy> _byId;
    private readonly Dictionary<string, TierPolicy> _tierByPerson;
    private readonly PokerHandPolicy? _poker;
    private readonly ConcurrentDictionary<string, BudgetPolicy> _pokerHands = new(StringComparer.Ordinal);

    public BudgetPolicySet(IEnumerable<BudgetPolicy> budgets, IReadOnlyDictionary<string, TierPolicy>? tierByPerson = null,
        PokerHandPolicy? poker = null, long version = 0)
    {
        _byId = new Dictionary<string, BudgetPolicy>(StringComparer.Ordinal);
        foreach (var b in budgets) _byId[b.Id] = b;
        _organisation = _byId.GetValueOrDefault(BudgetPolicy.OrganisationName);
        _tierByPerson = new Dictionary<string, TierPolicy>(tierByPerson ?? new Dictionary<string, TierPolicy>(), StringComparer.Ordinal);
        _poker = poker;
        Version = version;
    }

    public static readonly BudgetPolicySet Empty = new([]);

    /// <summary>The store's version this set was built from (the gateway reloads when it moves).</summary>
    public long Version { get; }

    public IReadOnlyCollection<BudgetPolicy> Configured => _byId.Values;

    public bool IsEmpty => _byId.Count == 0 && _poker is null && _tierByPerson.Count == 0;

    public PokerHandPolicy? Poker => _poker;

    public BudgetPolicy? Find(string id) =>
        _byId.GetValueOrDefault(id) ?? (id.StartsWith(BudgetPolicy.PokerPrefix, StringComparison.Ordinal) && _poker is not null
            ? PokerHand(id[BudgetPolicy.PokerPrefix.Length..]) : null);

    public TierPolicy? TierOf(string person) => _tierByPerson.GetValueOrDefault(person);

    /// <summary>Every budget a request by <paramref name="person"/> of <paramref name="team"/> for <paramref name="project"/> is checked against.</summary>
    public List<BudgetPolicy> Applicable(string? person, string? team, string? project)
    {
        var list = new List<BudgetPolicy>(4);
        if (_organisation is not null) list.Add(_organisation);
        if (team is not null && _byId.TryGetValue("team:" + team, out var t)) list.Add(t);
        if (person is not null)
        {
            if (_byId.TryGetValue("person:" + person, out var p)) list.Add(p);
            if (_poker is not null) list.Add(PokerHand(person));
        }
        if (project is not null && _byId.TryGetValue("project:" + project, out var pr)) list.Add(pr);
        return list;
    }

    private BudgetPolicy PokerHand(string person) => _pokerHands.GetOrAdd(person, static (p, poker) => new BudgetPolicy(
        BudgetPolicy.PokerPrefix + p, BudgetLevel.Person, p, poker.WeeklyHand, BudgetPeriod.Weekly(poker.TimeZone),
        BudgetMode.Hard, SoftAction.Warn, Rollover.Off), _poker!);
}

/// <summary>Token poker's hand: a weekly hard budget per person (calendar week in the poker time zone, no rollover).</summary>
public sealed record PokerHandPolicy(decimal WeeklyHand, TimeZoneInfo TimeZone);
